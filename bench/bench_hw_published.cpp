// Fidelity of the uncalibrated device profiles against published measurements: HW-NAS-Bench's
// per-architecture latencies of NAS-Bench-201 networks on a Jetson TX2 (edgegpu), a Raspberry Pi 4
// (raspi4) and a Pixel 3 (pixel3), for CIFAR-10 (32x32, 10 classes) and ImageNet16-120 (16x16,
// 120 classes) inputs. The profiles were written from vendor data and estimates, never fitted to
// these tables; this benchmark only scores them. Reports, per device and input: Kendall tau,
// Spearman rho and MAPE of the profile as shipped and of MACs (the baseline) on every network,
// then per shot count (10, 30, 100 networks drawn at random, scored on the held-out rest, mean
// over draws): MACs, the profile, ordinary least squares on op-kind counts (the baseline a
// learned predictor must beat), few-shot adaptation with one time scale, compute, memory and
// overhead multipliers per op class, the structural model, and the default choice. The few-shot
// fits see only their drawn networks (the user's scenario); nothing in the library is tuned to
// these tables. Not a test.
//
//   ./build/bench_hw_published [--data bench/data/hwnasbench_nb201.csv] [--shots 10,30,100] [--draws 20] [--seed 5]
//                              [--h200 bench/data/gpu/h200]
//
// Then the same columns for this project's own measurements on an NVIDIA H200 (bench/data/gpu/h200:
// 160 nb201 networks timed with LibTorch and from Python, pruned and as built, batch 1, 32, 256),
// against the h200 profile.
//
// Every figure is given twice: with dead edges pruned and with the networks as built.
// Networks whose cell has no path from input to output are left out: they compute a constant,
// which HW-NAS-Bench's converters fold away (it records near-zero latencies for them). The data
// file and its provenance: bench/data/README.md.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench_fewshot.h"
#include "bench_main.h"
#include "bench_stats.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/jsonl.h"
#include "hwnas/core/read_file.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/core/source_dir.h"

using namespace hwnas;
using namespace hwnas::bench;

namespace {

struct Input {
  const char* prefix;  // column prefix in the data file
  int size, classes;
};

struct Device {
  const char* column;     // HW-NAS-Bench device name
  const char* profile;    // ours
  const char* precision;  // what HW-NAS-Bench ran
};

bool disconnected(const LayerList& l) {
  for (const auto& x : l.layers)
    if (x.kind == OpKind::Zero && x.name.size() >= 11 && x.name.compare(x.name.size() - 11, 11, ".node3.zero") == 0)
      return true;
  return false;
}

struct Settings {
  std::vector<int> shots{10, 30, 100};
  int draws = 20;
  std::uint64_t seed = 5;
};

void print_score(const HeldOutScore& h, bool with_mape) {
  if (with_mape) std::printf(" | %5.3f %5.3f %6.1f", h.tau, h.rho, h.mape);
  else std::printf(" | %5.3f %5.3f %6s", h.tau, h.rho, "-");
}

// One set of measured networks: the profile as shipped and MACs on every network, then per shot
// count the held-out means of MACs, the profile, the op-count fit and few-shot adaptation.
void score_samples(const char* c1, const char* c2, const char* c3, const std::vector<LatencySample>& samples,
                   const DeviceProfile& profile, int batch, Precision prec, const Settings& set) {
  const HardwareModel model(profile);
  std::vector<double> macs, meas, pred;
  for (const auto& s : samples) {
    macs.push_back(static_cast<double>(s.layers.totals.macs));
    meas.push_back(s.latency_ms);
    pred.push_back(model.predict(s.layers, batch, prec).latency_ms);
  }
  std::printf("%-14s %-8s %-14s %4zu all%4s", c1, c2, c3, samples.size(), "");
  print_score({kendall(macs, meas), spearman(macs, meas), 0}, false);
  print_score({kendall(pred, meas), spearman(pred, meas), mape(pred, meas)}, true);
  std::printf("\n");
  for (int shots : set.shots) {
    if (shots + 10 > static_cast<int>(samples.size())) continue;
    const FewShotReport f = few_shot_draws(profile, samples, macs, shots, set.draws, set.seed, batch, prec);
    std::printf("%-14s %-8s %-14s %4d %4d-shot", "", "", "", f.held_out, shots);
    for (const auto* h : {&f.macs, &f.profile, &f.op_count, &f.global, &f.terms, &f.structure, &f.automatic})
      print_score(*h, h != &f.macs);
    std::string chosen;
    for (const auto& [name, count] : f.chosen) chosen += (chosen.empty() ? "" : ", ") + name + " " + std::to_string(count);
    std::printf(" | %s\n", chosen.c_str());
    std::fflush(stdout);
  }
}

// One HW-NAS-Bench device and input.
void score(const CsvTable& t, const Input& in, const Device& dev, bool prune, const Settings& set) {
  Nb201Options o;
  o.input_size = in.size;
  o.num_classes = in.classes;
  const Nb201Space space(o);
  DecodeOptions decode;
  decode.prune_dead = prune;
  const std::size_t arch_col = t.require_column("arch_str");
  const std::size_t col = t.require_column(std::string(in.prefix) + "_" + dev.column + "_latency");
  std::vector<LatencySample> samples;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (t.rows[r][col].empty()) continue;  // not in HW-NAS-Bench
    LatencySample s;
    s.arch = t.rows[r][arch_col];
    const Architecture a = space.parse(s.arch);
    if (disconnected(space.layers(a))) continue;
    s.layers = space.layers(a, decode);
    s.latency_ms = t.number(r, col);
    samples.push_back(std::move(s));
  }
  score_samples(in.prefix, dev.column, dev.profile, samples, load_device(dev.profile), 1, parse_precision(dev.precision), set);
}

// This project's H200 measurements (bench/data/gpu/h200, JSON lines of hwnas measure or
// scripts/gpu_torch_measure.py): per graph and batch, fp32 (TF32 convolutions) only.
void score_h200(const std::string& dir, const Settings& set) {
  const Nb201Space space{Nb201Options{}};
  const DeviceProfile profile = load_device("h200");
  for (const auto& [file, label] : {std::pair<const char*, const char*>{"nb201_libtorch.jsonl", "libtorch"},
                                    {"nb201_python_run2.jsonl", "python"}}) {
    std::map<std::pair<bool, int>, std::vector<LatencySample>> sets;  // (pruned, batch)
    const std::string path = dir + "/" + file;
    if (!std::filesystem::exists(path)) {
      std::printf("(%s not found: skipped)\n", path.c_str());
      continue;
    }
    for (const JsonlLine& l : parse_jsonl(read_whole_file(path), path).lines) {
      const nlohmann::json& j = l.value;
      if (!j.contains("arch") || j.value("variant", "fp32") != "fp32" || j.value("precision", "fp32") != "fp32") continue;
      const bool pruned = j.contains("prune_dead") ? j["prune_dead"].get<bool>() : j["graph"] == "pruned";
      DecodeOptions decode;
      decode.prune_dead = pruned;
      LatencySample s;
      s.arch = j["arch"].get<std::string>();
      s.layers = space.layers(space.parse(s.arch), decode);
      s.latency_ms = j["latency_ms"].get<double>();
      sets[{pruned, j["batch"].get<int>()}].push_back(std::move(s));
    }
    for (const auto& [key, samples] : sets) {
      const std::string graph = std::string(key.first ? "pruned" : "built") + " b" + std::to_string(key.second);
      score_samples(label, graph.c_str(), "h200", samples, profile, key.second, Precision::FP32, set);
    }
  }
}

int run(int argc, char** argv) {
  std::string data = std::string(HWNAS_SOURCE_DIR) + "/bench/data/hwnasbench_nb201.csv";
  std::string h200 = std::string(HWNAS_SOURCE_DIR) + "/bench/data/gpu/h200";
  Settings set;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--data")) data = argv[i + 1];
    else if (!std::strcmp(argv[i], "--shots")) {
      set.shots.clear();
      for (const char* p = argv[i + 1]; *p;) {
        char* end = nullptr;
        set.shots.push_back(static_cast<int>(std::strtol(p, &end, 10)));
        if (end == p || set.shots.back() < 1) throw UserError(std::string("--shots: expected counts like 10,30,100, got ") + argv[i + 1]);
        p = *end == ',' ? end + 1 : end;
      }
    } else if (!std::strcmp(argv[i], "--draws")) set.draws = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) set.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--h200")) h200 = argv[i + 1];
    else throw UserError(std::string("unknown option ") + argv[i]);
  }
  const CsvTable t = read_csv_file(data);
  const std::vector<Input> inputs{{"cifar10", 32, 10}, {"ImageNet16-120", 16, 120}};
  // edgegpu: torch2trt at its default FP32 (HW-NAS-Bench dev/proj_edgegpu/EdgeGPU_Benchmark.py);
  // raspi4 and pixel3: float TFLite models.
  const std::vector<Device> devices{
      {"edgegpu", "jetson-tx2", "fp32"}, {"raspi4", "raspberry-pi-4", "fp32"}, {"pixel3", "pixel-3", "fp32"}};
  std::printf("HW-NAS-Bench NAS-Bench-201 latencies (%s, %zu rows); profiles as shipped, batch 1, FP32; "
              "each cell: Kendall tau, Spearman rho, MAPE %%; k-shot rows: means over %d draws, scored on the held-out rest\n",
              data.c_str(), t.rows.size(), set.draws);
  // Both ways of pricing a cell: dead edges pruned (as hwnas builds and measures networks), and
  // as built (NAS-Bench-201's reference code computes `none` as x * 0, so an exported network
  // still runs the branches that feed it).
  for (bool prune : {true, false}) {
    std::printf("\ndead edges %s\n", prune ? "pruned" : "kept (networks as built)");
    std::printf("%-14s %-8s %-14s %4s %8s | %-18s | %-18s | %-18s | %-18s | %-18s | %-18s | %-18s | %s\n", "input",
                "device", "profile", "n", "", "MACs", "profile (0-shot)", "op-count LSQ", "few-shot: scale",
                "few-shot: per-class", "few-shot: struct", "few-shot: chosen", "chosen (draws)");
    for (const Input& in : inputs)
      for (const Device& dev : devices) score(t, in, dev, prune, set);
  }
  std::printf("\nThis project's measurements on an NVIDIA H200 (%s; 160 nb201 networks, CIFAR-10 size, fp32 with TF32 "
              "convolutions; the h200 profile's per-kernel costs came from calibrate on the same GPU): graph and batch\n",
              h200.c_str());
  score_h200(h200, set);
  return 0;
}

}  // namespace

constexpr char kUsage[] =
    "Usage: bench_hw_published [--data bench/data/hwnasbench_nb201.csv] [--shots 10,30,100] [--draws 20] [--seed 5]\n"
    "                          [--h200 bench/data/gpu/h200]\n"
    "  Device profiles against published HW-NAS-Bench latencies (validation only), then against this\n"
    "  project's H200 measurements.\n";

int main(int argc, char** argv) { return hwnas::bench::guarded_main(run, argc, argv, kUsage); }
