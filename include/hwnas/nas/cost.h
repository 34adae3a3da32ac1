#pragma once
// Exact cost counting from the ArchGraph into a per-layer list.
//
// Conventions (per sample, i.e. batch 1; elements are tensor entries, bytes assume fp32):
//  - params: trainable parameters, exactly what the built LibTorch module's parameters() hold
//    (conv/linear weights and biases, BatchNorm gamma and beta when affine).
//  - macs: multiply-accumulates of Conv2d and Linear weights only (k*k*Cin/groups*Cout*Hout*Wout,
//    and in*out). This is the number NAS-Bench-201 calls FLOPs.
//  - flops: every floating-point operation, adds and multiplies counted separately:
//    Conv2d/Linear 2*macs (+1 per output for a bias); BatchNorm 2 per element (inference: scale
//    and shift); ReLU 1 per element; ReLU6 2 per element (min and max); HSwish 5 per element (add 3, max,
//    min, multiply, divide by 6); AvgPool k*k per output
//    element (k*k-1 adds and one scale; padding positions included); MaxPool k*k-1 per output
//    element (comparisons); GlobalAvgPool 1 per input
//    element; Add (the sum at a node with n inputs) n-1 per element; Concat, Identity and Zero 0;
//    SqueezeExcite (C channels, S squeezed) params 2CS+S+C, macs 2CS, flops 2*macs+S+C (biases)
//    + C*H*W (pool) + S (relu) + 3C (hard sigmoid) + C*H*W (the multiply).
//  - input/output elements: tensor entries read and written by the layer; weight elements:
//    params plus BatchNorm running statistics (2*C), the values the layer reads besides its input.
//  - activation_bytes = 4 * sum(input + output elements); weight_bytes = 4 * sum(weight elements).
//
// Example:
//   LayerList layers = count_costs(space->decode(arch));
//   std::cout << layers.totals.params << " params, " << layers.totals.macs << " MACs\n";
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/nas/arch_graph.h"

namespace hwnas {

struct LayerCost {
  OpKind kind = OpKind::Identity;
  std::string name;
  int cell = -1;
  TensorShape input, output;
  int kernel = 1, stride = 1, groups = 1, dilation = 1;
  int num_inputs = 1;  // for Add and Concat: how many tensors are summed or concatenated
  std::int64_t params = 0, macs = 0, flops = 0;
  std::int64_t input_elements = 0, output_elements = 0, weight_elements = 0;
};

struct CostTotals {
  std::int64_t params = 0, macs = 0, flops = 0;
  std::int64_t activation_bytes = 0, weight_bytes = 0;
  friend bool operator==(const CostTotals&, const CostTotals&) = default;
  CostTotals& operator+=(const LayerCost& l);
  CostTotals& operator+=(const CostTotals& o);
  nlohmann::json to_json() const;
};

struct LayerList {
  std::vector<LayerCost> layers;  // edges in graph order; an Add follows the edges of its node
  CostTotals totals;
};

/// Cost of one op applied to an input of the given shape.
LayerCost edge_cost(const OpEdge& op, const TensorShape& input);
/// Cost of summing `num_inputs` tensors of `shape`.
LayerCost add_cost(const TensorShape& shape, int num_inputs, int cell, std::string name);
/// Cost of concatenating `num_inputs` tensors into `shape` (a copy: no FLOPs, every element read
/// and written once).
LayerCost concat_cost(const TensorShape& shape, int num_inputs, int cell, std::string name);
/// Walks the graph: every edge, plus an Add for each node with more than one input.
LayerList count_costs(const ArchGraph& g);

}  // namespace hwnas
