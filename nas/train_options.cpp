// LibTorch-free parts of the short-training proxy: options and results.
#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/train.h"

namespace hwnas {

void TrainOptions::check(const std::string& path) const {
  for (std::size_t i = 0; i < checkpoints.size(); ++i)
    if (checkpoints[i] < 1 || checkpoints[i] > steps)
      throw UserError(path + ".checkpoints[" + std::to_string(i) + "]: expected a step in 1.." + std::to_string(steps));
  if (precision == "fp16" && !device.cuda)
    throw UserError(path + ".precision: fp16 autocast needs a CUDA device (LibTorch's CPU autocast is bf16 only); "
                    "use bf16 or fp32 on " + device.str());
  if (!reduce.is_object() && reduce != "auto")
    throw UserError(path + ".reduce: expected an object of space options or \"auto\"");
}

void TrainOptions::validate(const std::string& path) const { validate_options(*this, path); }
TrainOptions TrainOptions::from_json(const nlohmann::json& j, const std::string& path) { return read_options<TrainOptions>(j, path); }
nlohmann::json TrainOptions::to_json() const { return write_options(*this); }

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
