// The options of the proxy and train objective sources (include/hwnas/search/objective_proxy.h):
// read, defaulted and written here, without LibTorch, so `hwnas proxy` fills in its defaults with
// the code a search's config does. The sources themselves are in objective_proxy_torch.cpp.
#include "hwnas/search/objective_proxy.h"

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/torch_device.h"

namespace hwnas {

DatasetOptions dataset_with_defaults(const nlohmann::json* j, const std::string& path, DatasetOptions defaults) {
  // Keys the user did not give keep this source's defaults.
  return read_options<DatasetOptions>(j ? *j : nlohmann::json(nullptr), path, std::move(defaults));
}

namespace {
const nlohmann::json* dataset_of(const nlohmann::json& spec) {
  return spec.is_object() && spec.contains("dataset") ? &spec["dataset"] : nullptr;
}
}  // namespace

void ProxySourceOptions::check(const std::string& path) const {
  require_proxy(name, path + ".name");
  proxy.validate(path);
}

ProxySourceOptions ProxySourceOptions::from_json(const nlohmann::json& spec, const std::string& path, std::uint64_t seed) {
  ProxySourceOptions o;
  o.proxy.seed = seed;
  if (spec.is_string()) {
    o.name = spec.get<std::string>();
    require_proxy(o.name, path);
  } else {
    read_fields(o, spec, path);
    o.check(path);
  }
  const nlohmann::json* data = dataset_of(spec);
  if (!proxy_needs_data(o.name) && data)
    throw UserError(path + ".dataset: " + o.name + " is data-free (no minibatch is read); remove \"dataset\"");
  // The dataset's defaults depend on the minibatch options read with it.
  o.dataset = dataset_with_defaults(data, path + ".dataset", proxy_dataset_defaults(o.proxy));
  return o;
}

nlohmann::json ProxySourceOptions::to_json() const { return write_options(*this); }

TrainSourceOptions TrainSourceOptions::from_json(const nlohmann::json& spec, const std::string& path, std::uint64_t seed) {
  if (!spec.is_null() && !spec.is_object()) JsonReader::fail(path, "an object of training options", spec);
  TrainSourceOptions o;
  o.train.seed = seed;
  read_fields(o, spec, path);
  validate_options(o.train, path);
  // The dataset's defaults depend on the training seed read with it.
  o.dataset = dataset_with_defaults(dataset_of(spec), path + ".dataset", train_dataset_defaults(o.train.seed));
  return o;
}

nlohmann::json TrainSourceOptions::to_json() const { return write_options(*this); }

}  // namespace hwnas
