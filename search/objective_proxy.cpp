// The options of the proxy and train objective sources (include/hwnas/search/objective_proxy.h):
// read, defaulted and written here, without LibTorch, so `hwnas proxy` fills in its defaults with
// the code a search's config does. The sources themselves are in objective_proxy_torch.cpp.
#include "hwnas/search/objective_proxy.h"

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/suggest.h"
#include "hwnas/nas/torch_device.h"

namespace hwnas {

DatasetOptions dataset_with_defaults(const nlohmann::json* j, const std::string& path, DatasetOptions defaults) {
  DatasetOptions d = std::move(defaults);
  if (j) {
    DatasetOptions given = DatasetOptions::from_json(*j, path);
    // Keys the user did not give keep this source's defaults.
    if (j->contains("name")) d.name = given.name;
    if (j->contains("dir")) d.dir = given.dir;
    if (j->contains("train_files")) d.train_files = given.train_files;
    if (j->contains("subset")) d.subset = given.subset;
    if (j->contains("validation_fraction")) d.validation_fraction = given.validation_fraction;
    if (j->contains("seed")) d.seed = given.seed;
    if (j->contains("normalize")) d.normalize = given.normalize;
    d.synthetic_size = given.synthetic_size;
    d.synthetic_classes = given.synthetic_classes;
    d.synthetic_channels = given.synthetic_channels;
    d.synthetic_resolution = given.synthetic_resolution;
  }
  d.validate(path);
  return d;
}

ProxySourceOptions ProxySourceOptions::from_json(const nlohmann::json& spec, const std::string& path, std::uint64_t seed) {
  ProxySourceOptions o;
  o.proxy.seed = seed;
  const nlohmann::json* data = nullptr;
  nlohmann::json data_copy;
  if (spec.is_string()) {
    o.name = spec.get<std::string>();
  } else {
    JsonReader r(spec, path);
    o.name = r.require<std::string>("name");
    o.proxy.batch_size = r.get("batch_size", o.proxy.batch_size);
    o.proxy.seed = static_cast<std::uint64_t>(r.get<long long>("seed", static_cast<long long>(o.proxy.seed)));
    o.proxy.prune_dead = r.get("prune_dead", o.proxy.prune_dead);
    o.proxy.device = parse_torch_device(r.get<std::string>("torch_device", o.proxy.device.str()), path + ".torch_device");
    if (const auto* d = r.raw("dataset")) data_copy = *d, data = &data_copy;
    r.finish();
    o.proxy.validate(path);
  }
  if (!is_proxy(o.name)) {
    std::string known;
    for (const auto& n : proxy_names()) known += (known.empty() ? "" : ", ") + n;
    throw UserError(path + (spec.is_string() ? "" : ".name") + ": unknown proxy '" + o.name + "'" +
                    did_you_mean(o.name, proxy_names()) + " (known: " + known + ")");
  }
  if (!proxy_needs_data(o.name) && data)
    throw UserError(path + ".dataset: " + o.name + " is data-free (no minibatch is read); remove \"dataset\"");
  o.dataset = dataset_with_defaults(data, path + ".dataset", proxy_dataset_defaults(o.proxy));
  return o;
}

nlohmann::json ProxySourceOptions::to_json() const {
  nlohmann::json j = {{"name", name}, {"seed", proxy.seed}, {"prune_dead", proxy.prune_dead}, {"torch_device", proxy.device.str()}};
  if (proxy_needs_data(name)) {  // a data-free proxy's config (and arch.json) names no dataset
    j["batch_size"] = proxy.batch_size;
    j["dataset"] = dataset.to_json();
  }
  return j;
}

TrainSourceOptions TrainSourceOptions::from_json(const nlohmann::json& spec, const std::string& path, std::uint64_t seed) {
  nlohmann::json options = spec.is_null() ? nlohmann::json::object() : spec;
  if (!options.is_object()) JsonReader::fail(path, "an object of training options", options);
  const nlohmann::json data = options.contains("dataset") ? options["dataset"] : nlohmann::json(nullptr);
  options.erase("dataset");
  if (!options.contains("seed")) options["seed"] = seed;
  TrainSourceOptions o;
  o.train = TrainOptions::from_json(options, path);
  o.dataset = dataset_with_defaults(data.is_null() ? nullptr : &data, path + ".dataset", train_dataset_defaults(o.train.seed));
  return o;
}

nlohmann::json TrainSourceOptions::to_json() const {
  nlohmann::json j = train.to_json();
  j["dataset"] = dataset.to_json();
  return j;
}

}  // namespace hwnas
