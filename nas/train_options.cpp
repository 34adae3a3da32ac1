// LibTorch-free parts of the short-training proxy: options and results.
#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/train.h"

namespace hwnas {

void TrainOptions::validate(const std::string& path) const {
  auto in = [&](double v, double lo, double hi, const char* field) {
    if (!(v >= lo && v <= hi))
      throw UserError(path + "." + field + ": expected a value in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                      "], got " + std::to_string(v));
  };
  in(steps, 1, 1e6, "steps");
  in(batch_size, 1, 4096, "batch_size");
  in(lr, 1e-8, 10, "lr");
  in(momentum, 0, 0.9999, "momentum");
  in(weight_decay, 0, 1, "weight_decay");
  in(validation_images, 1, 1e7, "validation_images");
  in(loss_every, 1, 1e6, "loss_every");
  if (optimizer != "sgd" && optimizer != "adam")
    throw UserError(path + ".optimizer: expected \"sgd\" or \"adam\", got \"" + optimizer + "\"");
  for (std::size_t i = 0; i < checkpoints.size(); ++i)
    if (checkpoints[i] < 1 || checkpoints[i] > steps)
      throw UserError(path + ".checkpoints[" + std::to_string(i) + "]: expected a step in 1.." + std::to_string(steps));
  if (precision != "fp32" && precision != "fp16" && precision != "bf16")
    throw UserError(path + ".precision: expected \"fp32\", \"fp16\" or \"bf16\", got \"" + precision + "\"");
  if (precision == "fp16" && !device.cuda)
    throw UserError(path + ".precision: fp16 autocast needs a CUDA device (LibTorch's CPU autocast is bf16 only); "
                    "use bf16 or fp32 on " + device.str());
  if (!reduce.is_object() && reduce != "auto")
    throw UserError(path + ".reduce: expected an object of space options or \"auto\"");
}

TrainOptions TrainOptions::from_json(const nlohmann::json& j, const std::string& path) {
  TrainOptions o;
  JsonReader r(j, path);
  o.steps = r.get("steps", o.steps);
  o.checkpoints = r.get("checkpoints", o.checkpoints);
  o.batch_size = r.get("batch_size", o.batch_size);
  o.optimizer = r.get("optimizer", o.optimizer);
  o.lr = r.get("lr", o.lr);
  o.momentum = r.get("momentum", o.momentum);
  o.weight_decay = r.get("weight_decay", o.weight_decay);
  o.validation_images = r.get("validation_images", o.validation_images);
  o.seed = static_cast<std::uint64_t>(r.get<long long>("seed", 0));
  o.prune_dead = r.get("prune_dead", o.prune_dead);
  if (const auto* red = r.raw("reduce")) o.reduce = *red;
  o.loss_every = r.get("loss_every", o.loss_every);
  o.device = parse_torch_device(r.get<std::string>("torch_device", o.device.str()), path + ".torch_device");
  o.precision = r.get("precision", o.precision);
  r.finish();
  o.validate(path);
  return o;
}

nlohmann::json TrainOptions::to_json() const {
  return {{"steps", steps},       {"checkpoints", checkpoints},
          {"batch_size", batch_size}, {"optimizer", optimizer},
          {"lr", lr},             {"momentum", momentum},
          {"weight_decay", weight_decay}, {"validation_images", validation_images},
          {"seed", seed},         {"prune_dead", prune_dead},
          {"reduce", reduce},     {"loss_every", loss_every},
          {"torch_device", device.str()}, {"precision", precision}};
}

nlohmann::json TrainResult::to_json() const {
  nlohmann::json acc = nlohmann::json::array();
  for (const auto& [step, a] : accuracy_at) acc.push_back({{"step", step}, {"val_accuracy", a}});
  nlohmann::json j = {{"ok", ok}, {"val_accuracy", ok ? nlohmann::json(val_accuracy) : nlohmann::json(nullptr)},
                      {"accuracy_at", acc}, {"loss_curve", loss_curve}, {"seconds", seconds}};
  if (!ok) j["message"] = message;
  return j;
}

nlohmann::json default_reduction(const std::string& space_name) {
  if (space_name == "nb201") return {{"channels", 8}, {"cells_per_stage", 1}};
  return nlohmann::json::object();
}

std::unique_ptr<SearchSpace> reduced_space(const SearchSpace& space, const nlohmann::json& reduce_in) {
  const nlohmann::json reduce = reduce_in == "auto" ? default_reduction(space.name()) : reduce_in;
  nlohmann::json options = space.options();
  if (reduce.is_object())
    for (auto it = reduce.begin(); it != reduce.end(); ++it) options[it.key()] = it.value();
  return make_space(space.name(), options);
}

}  // namespace hwnas
