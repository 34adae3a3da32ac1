// Latency and energy objectives: HardwareModel::predict over the candidate's per-layer costs.
#include "objective_hw.h"

#include <filesystem>
#include <optional>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"

#include "hwnas/hw_models/device_profile.h"
#include "hwnas/hw_models/latency_model.h"

namespace hwnas {

namespace {

class HardwareSource : public ObjectiveSource {
 public:
  HardwareSource(HardwareQuantity q, const nlohmann::json& spec, const std::string& path, const ObjectiveContext& ctx)
      : q_(q) {
    JsonReader r(spec, path);
    device_ = r.require<std::string>("device");
    batch_ = r.get<int>("batch", 1);
    precision_text_ = r.get<std::string>("precision", "fp32");
    decode_.prune_dead = r.get<bool>("prune_dead", true);
    r.finish();
    if (batch_ < 1) throw UserError(r.child("batch") + ": expected a positive integer, got " + std::to_string(batch_));
    // A device given as a file is resolved against the config's folder; a bare name is a built-in profile.
    const bool is_file = device_.find('/') != std::string::npos || device_.ends_with(".json");
    if (is_file) {
      std::filesystem::path p(device_);
      if (p.is_relative() && !ctx.base_dir.empty()) p = std::filesystem::path(ctx.base_dir) / p;
      device_ = std::filesystem::absolute(p).lexically_normal().string();
    }
    try {
      precision_ = parse_precision(precision_text_);
    } catch (const UserError& e) {
      throw UserError(r.child("precision") + ": " + e.what());
    }
    try {
      model_.emplace(load_device(device_));
    } catch (const UserError& e) {
      throw UserError(r.child("device") + ": " + e.what());
    }
    warn_measured_graph_mismatch(model_->profile(), decode_.prune_dead);
  }

  std::string kind() const override { return q_ == HardwareQuantity::LatencyMs ? "latency" : "energy"; }
  bool cheap() const override { return true; }
  nlohmann::json resolved_spec() const override {
    return {{"device", device_}, {"batch", batch_}, {"precision", precision_text_}, {"prune_dead", decode_.prune_dead}};
  }
  ObjectiveValue evaluate(const Candidate& c) const override {
    // The candidate's layers are the deployed (pruned) network; as built they are decoded here.
    const HwPrediction p = decode_.prune_dead ? model_->predict(c.layers(), batch_, precision_)
                                              : model_->predict(c.space().layers(c.arch(), decode_), batch_, precision_);
    return ObjectiveValue::success(q_ == HardwareQuantity::LatencyMs ? p.latency_ms : p.energy_mj);
  }

 private:
  HardwareQuantity q_;
  std::string device_, precision_text_;
  int batch_ = 1;
  Precision precision_{};
  DecodeOptions decode_;
  std::optional<HardwareModel> model_;
};

}  // namespace

std::unique_ptr<ObjectiveSource> make_hardware_source(HardwareQuantity q, const nlohmann::json& spec,
                                                      const std::string& path, const ObjectiveContext& ctx) {
  return std::make_unique<HardwareSource>(q, spec, path, ctx);
}

}  // namespace hwnas
