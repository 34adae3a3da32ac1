#include "device_cli.h"

#include <cstdio>
#include <optional>

#include "hwnas/core/error.h"

namespace hwnas {

namespace {
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
}  // namespace

DeviceColumns::DeviceColumns(const DeviceCliOptions& o, bool prune_dead) {
  if (o.batch && *o.batch < 1) throw UserError("--batch: expected a positive integer, got " + std::to_string(*o.batch));
  if (o.devices.empty() && o.batch)
    throw UserError("--batch " + std::to_string(*o.batch) +
                    " sets the batch of the hardware predictions, but no --device was given: add --device NAME");
  if (o.devices.empty() && !o.precision.empty())
    throw UserError("--precision " + o.precision +
                    " sets the precision of the hardware predictions, but no --device was given: add --device NAME");
  std::optional<Precision> precision;
  if (!o.precision.empty()) {
    try {
      precision = parse_precision(o.precision);
    } catch (const UserError& e) {
      throw UserError(std::string("--precision: ") + e.what());
    }
  }
  for (const auto& d : o.devices) {
    DeviceProfile p;
    try {
      p = load_device(d);
    } catch (const UserError& e) {
      throw UserError(std::string("--device: ") + e.what());
    }
    for (const auto& e : models_)
      if (e.source == d) throw UserError("--device: '" + d + "' given twice");
    warn_measured_graph_mismatch(p, prune_dead);
    const int batch = o.batch ? *o.batch : p.default_batch;
    const Precision prec = precision ? *precision : parse_precision(p.default_precision);
    std::string name = p.name;
    models_.push_back({name, HardwareModel(std::move(p)), batch, prec, d});
  }
  // Two profiles of one name (the shipped host and a calibrated host.json): each is labelled by
  // where it came from, "host@shipped" and "host@runs/cal/host.json", so no column is lost.
  for (auto& e : models_) {
    int same = 0;
    for (const auto& f : models_) same += f.model.profile().name == e.model.profile().name;
    if (same > 1) e.name += "@" + (e.source == e.model.profile().name ? std::string("shipped") : e.source);
  }
}

std::string DeviceColumns::header() const {
  std::string h;
  for (const auto& e : models_) h += "," + e.name + "_latency_ms," + e.name + "_energy_mj";
  return h;
}

std::string DeviceColumns::row(const LayerList& layers) const {
  std::string r;
  for (const auto& e : models_) {
    const HwPrediction p = e.model.predict(layers, e.batch, e.precision);
    r += "," + number(p.latency_ms) + "," + number(p.energy_mj);
  }
  return r;
}

void add_device_predictions_json(const DeviceColumns& cols, const LayerList& layers, nlohmann::json& j) {
  if (cols.empty()) return;
  nlohmann::json lat = nlohmann::json::object(), energy = nlohmann::json::object(), hw = nlohmann::json::object();
  for (const auto& e : cols.entries()) {
    const HwPrediction p = e.model.predict(layers, e.batch, e.precision);
    lat[e.name] = p.latency_ms;
    energy[e.name] = p.energy_mj;
    hw[e.name] = {{"batch", e.batch}, {"precision", precision_name(e.precision)}, {"kernels", p.kernels}};
  }
  j["latency_ms"] = lat;
  j["energy_mj"] = energy;
  j["hardware"] = hw;
}

void print_device_predictions(const DeviceColumns& cols, const LayerList& layers, std::ostream& os) {
  for (const auto& e : cols.entries()) {
    const HwPrediction p = e.model.predict(layers, e.batch, e.precision);
    os << "latency_ms[" << e.name << "]  " << number(p.latency_ms) << "  (batch " << e.batch << ", "
       << precision_name(e.precision) << ")\n"
       << "energy_mj[" << e.name << "]   " << number(p.energy_mj) << "\n";
  }
}

}  // namespace hwnas
