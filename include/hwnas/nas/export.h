#pragma once
// Exporters: one architecture in the forms other tools load. Each walks the same ArchGraph the
// cost counter and the LibTorch builder walk, so the files describe exactly the counted network.
//
//   json     arch.json   space, options, decisions, string, canonical hash, exact counts, objectives
//   dot      graph.dot   Graphviz, compact: nodes = tensors (shape), edges = op chains ("relu · conv k3 ·
//                        bn", each op in full in the tooltip), searchable cells as clusters
//   pytorch  model.py    self-contained PyTorch source: class Net(nn.Module), build(), INPUT_SHAPE
//   onnx     model.onnx  ONNX (opset 13, IR 7) with shapes and initialised weights; the protobuf
//                        wire format is written by hand (no ONNX/protobuf link dependency)
//
// Parameter names are the same everywhere: an edge "cells.3.edge_2_1.conv" becomes the module
// attribute "cells_3_edge_2_1_conv" (the LibTorch builder's register_module name), so its weight
// is "cells_3_edge_2_1_conv.weight" in model.py's state_dict, in the ONNX initializers and in the
// optional WeightMap.
//
// How to add an exporter: subclass Exporter in nas/export_<name>.cpp, return the file's content
// from render(), and add its factory to the table in nas/export.cpp (static registrars are dropped
// by the linker from static libraries). `hwnas export --formats <name>` then picks it.
//
// Example:
//   auto space = make_space("nb201");
//   Architecture a = space->parse("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|...|");
//   export_architecture(*space, a, "out/arch0", ExportOptions{});   // arch.json, graph.dot, ...
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/nas/arch_graph.h"
#include "hwnas/nas/search_space.h"

namespace hwnas {

/// Trained values by parameter/buffer name ("<module>.weight", ".bias", ".running_mean",
/// ".running_var"), row-major in PyTorch's layout. Missing names are initialised deterministically.
using WeightMap = std::map<std::string, std::vector<float>>;

/// Everything an exporter may need about one architecture.
struct ExportInput {
  const SearchSpace* space = nullptr;
  Architecture arch;
  DecodeOptions decode;
  ArchGraph graph;  // space->decode(arch, decode), built in place (an ArchGraph must not be copied)
  nlohmann::json objectives = nlohmann::json::object();      // extra objectives for arch.json
  std::uint64_t seed = 0;                                    // deterministic weights (ONNX)
  const WeightMap* weights = nullptr;                        // optional trained weights (ONNX)
};

class Exporter {
 public:
  virtual ~Exporter() = default;
  virtual std::string name() const = 0;       // "json", "dot", "pytorch", "onnx"
  virtual std::string file_name() const = 0;  // "arch.json", ...
  /// The file's content (bytes for binary formats). Throws UserError for bad weights.
  virtual std::string render(const ExportInput& in) const = 0;
};

/// Registry by name. Unknown name -> UserError listing the known ones.
std::unique_ptr<Exporter> make_exporter(const std::string& name);
std::vector<std::string> exporter_names();
/// "json,dot" -> {"json", "dot"}; "all" -> every exporter. Empty items, duplicates and unknown
/// names -> UserError naming the item and `what` (e.g. "--formats").
std::vector<std::string> parse_formats(const std::string& list, const std::string& what = "--formats");

struct ExportOptions {
  std::vector<std::string> formats{"json", "dot", "pytorch", "onnx"};
  DecodeOptions decode;
  nlohmann::json objectives = nlohmann::json::object();
  std::uint64_t seed = 0;
  const WeightMap* weights = nullptr;
};

/// Decodes `a` and writes one file per format into `dir` (created if missing), each atomically.
/// Returns the written paths in format order.
std::vector<std::string> export_architecture(const SearchSpace& space, const Architecture& a, const std::string& dir,
                                             const ExportOptions& opts = {});

// The individual renderers (what the exporters' render() return).
nlohmann::json arch_json(const ExportInput& in);
std::string graph_dot(const ArchGraph& g);
/// `header` is put into the file's leading comment (e.g. the space and architecture string).
std::string pytorch_source(const ArchGraph& g, const std::string& header = "");
/// Serialized onnx.ModelProto.
std::string onnx_model(const ArchGraph& g, std::uint64_t seed = 0, const WeightMap* weights = nullptr,
                       const std::string& doc = "");

/// "cells.3.edge_2_1.conv" -> "cells_3_edge_2_1_conv": a Python identifier (the builder's rule).
std::string module_attribute_name(const std::string& edge_name);

}  // namespace hwnas
