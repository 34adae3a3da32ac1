// The Python module's native part, hwnas._hwnas: a thin layer over the library (no logic of its
// own). Study is hwnas::Study (search/study.h), evaluate is `hwnas evaluate --json`, predict runs
// the hardware models over many architectures at once. hwnas/__init__.py adds Trial.to_torch.
// A UserError becomes hwnas.Error (a ValueError) with the same message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <memory>

#include <tbb/parallel_for.h>

#include "hwnas/analysis/data_table.h"
#include "hwnas/analysis/scaling_fit.h"
#include "hwnas/core/error.h"
#include "hwnas/hw_models/device_profile.h"
#include "hwnas/hw_models/latency_model.h"
#include "hwnas/nas/cost.h"
#include "hwnas/nas/export.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/config.h"
#include "hwnas/search/report.h"
#include "hwnas/search/study.h"

namespace py = pybind11;

namespace {

// JSON <-> Python through the json module: exact for what configs and records hold.
nlohmann::json to_json(const py::handle& obj) {
  const std::string text = py::module_::import("json").attr("dumps")(obj).cast<std::string>();
  return nlohmann::json::parse(text);
}
py::object from_json(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

std::unique_ptr<hwnas::SearchSpace> space_of(const std::string& name, const py::object& options) {
  return hwnas::make_space(name, options.is_none() ? nlohmann::json(nullptr) : to_json(options));
}

struct PyTrial {
  std::int64_t id = -1;
  std::string arch;
  std::vector<int> decisions;
  std::string hash;
  py::dict cheap;
  int fidelity = 0;
  int from_fidelity = 0;
  std::shared_ptr<const hwnas::SearchSpace> space;

  std::string pytorch_source() const {
    hwnas::Architecture a;
    a.choices = decisions;
    return hwnas::pytorch_source(space->decode(a), space->name() + " " + arch);
  }
};

class PyStudy {
 public:
  PyStudy(const py::object& config, const py::object& run_dir, bool resume, bool force, double wait) {
    if (!(wait >= 0 && wait <= 86400)) throw hwnas::UserError("wait = " + std::to_string(wait) + ": expected seconds between 0 and 86400");
    hwnas::SearchConfig cfg;
    if (py::isinstance<py::dict>(config)) {
      cfg = hwnas::SearchConfig::from_json(to_json(config), "<dict>", std::filesystem::current_path().string());
    } else {
      cfg = hwnas::SearchConfig::from_file(py::str(config).cast<std::string>());
    }
    hwnas::StudyOptions so;
    so.dir = run_dir.is_none() ? cfg.run_dir() : py::str(run_dir).cast<std::string>();
    so.resume = resume;
    so.replace = force;
    so.lock_wait_s = wait;
    space_ = hwnas::make_space(cfg.space, cfg.space_options);
    study_ = std::make_unique<hwnas::Study>(std::move(cfg), so);
  }

  void close() { study_.reset(); }

  std::vector<PyTrial> ask(long long n) {
    open();
    if (n < 1 || n > static_cast<long long>(hwnas::Study::kMaxAsk))
      throw hwnas::UserError("n = " + std::to_string(n) + ": expected 1 to " + std::to_string(hwnas::Study::kMaxAsk));
    std::vector<hwnas::Trial> trials;
    {
      py::gil_scoped_release release;
      trials = study_->ask(static_cast<std::size_t>(n)).trials;
      study_->write_front(false);
    }
    return convert(trials);
  }

  std::vector<PyTrial> pending() const { return convert(open().pending()); }

  py::object tell(const py::object& trial, const py::object& values, const py::object& failed) {
    open();
    const std::int64_t id = py::isinstance<PyTrial>(trial) ? trial.cast<const PyTrial&>().id : trial.cast<std::int64_t>();
    if (values.is_none() == failed.is_none())
      throw hwnas::UserError(values.is_none() ? "tell: give the trial's values ({\"acc\": 0.93}) or failed=\"reason\""
                                              : "tell: values and failed exclude each other: a trial either has values or failed");
    hwnas::EvaluationRecord rec;
    if (!failed.is_none()) {
      const std::string why = py::str(failed).cast<std::string>();
      py::gil_scoped_release release;
      rec = study_->tell_failed(id, why);
      study_->write_front(false);
    } else {
      if (!py::isinstance<py::dict>(values)) throw hwnas::UserError("tell: values must be a dict of objective name to number");
      std::map<std::string, double> v;
      for (const auto& [k, x] : values.cast<py::dict>()) {
        const std::string name = py::str(k).cast<std::string>();
        try {
          v[name] = x.cast<double>();
        } catch (const py::cast_error&) {
          throw hwnas::UserError("tell: the value of '" + name + "' is not a number");
        }
      }
      py::gil_scoped_release release;
      rec = study_->tell_values(id, v);
      study_->write_front(false);
    }
    return from_json(rec.to_json(names()));
  }

  py::list pareto() const {
    py::list out;
    for (const auto& r : open().front()) out.append(from_json(r.to_json(names())));
    return out;
  }

  std::string report() {
    open().write_front(true);
    return hwnas::write_report(study_->dir());
  }

  py::dict counts() const {
    const hwnas::StudyCounts& c = open().counts();
    py::dict d;
    d["evaluations"] = c.evaluations;
    d["failed"] = c.failed;
    d["infeasible"] = c.infeasible;
    d["rejected"] = c.rejected;
    d["duplicates"] = c.duplicates;
    d["pending"] = c.pending;
    if (c.steps > 0) d["steps"] = c.steps;  // fidelity units spent (multi-fidelity, or a train objective)
    if (c.eval_s > 0) d["eval_s"] = c.eval_s;  // seconds the expensive objectives took (budget.gpu_seconds)
    return d;
  }

  const std::string& run_dir() const { return open().dir(); }
  double hypervolume() const { return open().hypervolume(); }
  py::object config() const { return from_json(open().config().to_json()); }

 private:
  hwnas::Study& open() const {
    if (!study_) throw hwnas::UserError("this study is closed (close() released its run directory)");
    return *study_;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& o : study_->config().objectives) n.push_back(o.name);
    return n;
  }

  std::vector<PyTrial> convert(const std::vector<hwnas::Trial>& trials) const {
    std::vector<PyTrial> out;
    const auto& objs = study_->config().objectives;
    for (const auto& t : trials) {
      PyTrial p;
      p.id = t.id;
      p.arch = t.text.empty() ? space_->to_string(t.arch) : t.text;
      p.decisions = t.arch.choices;
      p.hash = hwnas::hash_hex(t.hash);
      p.fidelity = t.fidelity;
      p.from_fidelity = t.from_fidelity;
      for (std::size_t i = 0; i < objs.size(); ++i)
        if (objs[i].cheap) p.cheap[py::str(objs[i].name)] = t.cheap.raw[i];
      p.space = space_;
      out.push_back(std::move(p));
    }
    return out;
  }

  std::shared_ptr<const hwnas::SearchSpace> space_;
  std::unique_ptr<hwnas::Study> study_;
};

py::dict evaluate(const std::string& space_name, const std::string& arch, const py::object& space_options, bool prune_dead) {
  auto space = space_of(space_name, space_options);
  const hwnas::Architecture a = space->parse(arch);
  hwnas::DecodeOptions d;
  d.prune_dead = prune_dead;
  nlohmann::json j = space->count(a, d).to_json();
  j["space"] = space->name();
  j["arch"] = space->to_string(a);
  j["hash"] = hwnas::hash_hex(space->canonical_hash(a));
  j["prune_dead"] = prune_dead;
  j["degenerate"] = !space->output_depends_on_input(a);
  return from_json(j).cast<py::dict>();
}

py::dict predict(const std::string& device, const std::string& space_name, const std::vector<std::string>& archs, int batch,
                 const std::string& precision, const py::object& space_options, bool prune_dead) {
  auto space = space_of(space_name, space_options);
  const hwnas::HardwareModel model(hwnas::load_device(device));
  const hwnas::Precision p = hwnas::parse_precision(precision);
  if (batch < 1) throw hwnas::UserError("batch = " + std::to_string(batch) + ": expected at least 1");
  std::vector<hwnas::Architecture> parsed;
  parsed.reserve(archs.size());
  for (std::size_t i = 0; i < archs.size(); ++i) {
    try {
      parsed.push_back(space->parse(archs[i]));
    } catch (const hwnas::UserError& e) {
      throw hwnas::UserError("archs[" + std::to_string(i) + "]: " + e.what());
    }
  }
  py::array_t<double> lat(static_cast<py::ssize_t>(parsed.size())), energy(static_cast<py::ssize_t>(parsed.size()));
  double* l = lat.mutable_data();
  double* e = energy.mutable_data();
  {
    py::gil_scoped_release release;
    hwnas::DecodeOptions d;
    d.prune_dead = prune_dead;
    tbb::parallel_for(std::size_t{0}, parsed.size(), [&](std::size_t i) {
      const hwnas::HwPrediction h = model.predict(space->layers(parsed[i], d), batch, p);
      l[i] = h.latency_ms;
      e[i] = h.energy_mj;
    });
  }
  py::dict out;
  out["latency_ms"] = lat;
  out["energy_mj"] = energy;
  return out;
}

py::object enumerate_space(const std::string& space_name, const py::object& space_options, double limit) {
  auto space = space_of(space_name, space_options);
  std::vector<std::string> text;
  std::vector<hwnas::CostTotals> totals;
  space->enumerate(
      [&](const hwnas::Architecture& a) {
        text.push_back(space->to_string(a));
        totals.push_back(space->count(a));
      },
      limit);
  std::size_t width = 1;
  for (const auto& t : text) width = std::max(width, t.size());
  py::list fields;
  fields.append(py::make_tuple("arch", "U" + std::to_string(width)));
  for (const char* f : {"params", "macs", "flops", "activation_bytes", "weight_bytes"}) fields.append(py::make_tuple(f, "i8"));
  py::module_ np = py::module_::import("numpy");
  py::object arr = np.attr("zeros")(text.size(), np.attr("dtype")(fields));
  py::list arch_list;
  for (const auto& t : text) arch_list.append(t);
  arr.attr("__setitem__")("arch", arch_list);
  auto column = [&](auto get) {
    py::array_t<std::int64_t> c(static_cast<py::ssize_t>(totals.size()));
    for (std::size_t i = 0; i < totals.size(); ++i) c.mutable_data()[i] = get(totals[i]);
    return c;
  };
  arr.attr("__setitem__")("params", column([](const hwnas::CostTotals& t) { return t.params; }));
  arr.attr("__setitem__")("macs", column([](const hwnas::CostTotals& t) { return t.macs; }));
  arr.attr("__setitem__")("flops", column([](const hwnas::CostTotals& t) { return t.flops; }));
  arr.attr("__setitem__")("activation_bytes", column([](const hwnas::CostTotals& t) { return t.activation_bytes; }));
  arr.attr("__setitem__")("weight_bytes", column([](const hwnas::CostTotals& t) { return t.weight_bytes; }));
  return arr;
}

py::object scaling_fit(const std::string& path, const std::string& y, const std::string& x, const std::string& by, bool log,
                      const std::vector<std::string>& where, bool robust) {
  hwnas::analysis::ScalingFitOptions o;
  o.y = y;
  o.x = x;
  o.by = by;
  o.log = log;
  o.robust = robust;
  for (const auto& w : where) o.where.push_back(hwnas::analysis::WhereFilter::parse(w, "where"));
  o.validate("scaling_fit");
  return from_json(hwnas::analysis::fit_scaling(hwnas::analysis::read_data_table(path).table, o).to_json());
}

}  // namespace

PYBIND11_MODULE(_hwnas, m) {
  m.doc() = "hwnas: hardware-aware neural architecture search (native part; import hwnas)";
  static py::exception<hwnas::UserError> error(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const hwnas::UserError& e) {
      PyErr_SetString(error.ptr(), e.what());
    }
  });

  py::class_<PyTrial>(m, "Trial", "An architecture handed out for evaluation (Study.ask).")
      .def_readonly("id", &PyTrial::id, "its id in the run's log")
      .def_readonly("arch", &PyTrial::arch, "the space's text form")
      .def_readonly("decisions", &PyTrial::decisions, "the decision vector")
      .def_readonly("hash", &PyTrial::hash, "canonical hash (hex): equivalent networks share it")
      .def_readonly("cheap", &PyTrial::cheap, "the cheap objectives (params, latency, ...), exact")
      .def_readonly("fidelity", &PyTrial::fidelity,
                    "with a scheduler: the level to evaluate at, e.g. training steps (0: full fidelity, no scheduler)")
      .def_readonly("from_fidelity", &PyTrial::from_fidelity,
                    "a promotion: the level this architecture finished before; continue from that checkpoint (0: start)")
      .def("pytorch_source", &PyTrial::pytorch_source, "the network as PyTorch code (as hwnas export writes model.py)")
      .def("__repr__", [](const PyTrial& t) { return "Trial(id=" + std::to_string(t.id) + ", arch='" + t.arch + "')"; });

  py::class_<PyStudy>(m, "Study",
                      "A search whose external objectives ({\"external\": {}}) your code evaluates: ask() for trials, "
                      "tell() their values. The run directory, log, front and report are hwnas search's; "
                      "see docs/ask_tell.md.")
      .def(py::init<const py::object&, const py::object&, bool, bool, double>(), py::arg("config"), py::arg("run_dir") = py::none(),
           py::arg("resume") = false, py::arg("force") = false, py::arg("wait") = 0.0,
           "config: a dict or a path to a config file. run_dir: default the config's output.dir/output.name. "
           "resume: continue the run there. force: replace an earlier run there. wait: seconds to wait for another "
           "process that holds the run. An open study holds the run directory's lock (as hwnas search does) until "
           "close(), the end of a with block, or its deletion.")
      .def("close", &PyStudy::close, "Release the run directory (hwnas ask/tell and other studies may then open it).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyStudy& s, py::args) { s.close(); })
      .def("ask", &PyStudy::ask, py::arg("n") = 1, "Up to n new trials (fewer when the budget is spent or the space is exhausted).")
      .def("tell", &PyStudy::tell, py::arg("trial"), py::arg("values") = py::none(), py::kw_only(), py::arg("failed") = py::none(),
           "Record a trial's values ({name: number} for every external objective) or failed=\"reason\"; returns its log record.")
      .def("pending", &PyStudy::pending, "Trials asked and not yet told.")
      .def("pareto", &PyStudy::pareto, "The current Pareto front: a list of records (id, arch, decisions, hash, objectives).")
      .def("report", &PyStudy::report, "Write report.html in the run directory; returns its path.")
      .def_property_readonly("counts", &PyStudy::counts)
      .def_property_readonly("run_dir", &PyStudy::run_dir)
      .def_property_readonly("hypervolume", &PyStudy::hypervolume)
      .def_property_readonly("config", &PyStudy::config, "the resolved config (defaults filled in)");

  m.def("evaluate", &evaluate, py::arg("space"), py::arg("arch"), py::arg("space_options") = py::none(), py::arg("prune_dead") = true,
        "Exact counts of one architecture: the keys of `hwnas evaluate --json` without devices.");
  m.def("predict", &predict, py::arg("device"), py::arg("space"), py::arg("archs"), py::arg("batch") = 1, py::arg("precision") = "fp32",
        py::arg("space_options") = py::none(), py::arg("prune_dead") = true,
        "Predicted latency (ms) and energy (mJ) of many architectures on one device: {'latency_ms': array, 'energy_mj': array}.");
  m.def("devices", &hwnas::device_names, "Names of the shipped device profiles.");
  m.def("scaling_fit", &scaling_fit, py::arg("path"), py::arg("y"), py::arg("x"), py::kw_only(), py::arg("by") = "",
        py::arg("log") = false, py::arg("where") = std::vector<std::string>{}, py::arg("robust") = false,
        "`hwnas scaling fit` on a CSV or a run's evaluations.jsonl: OLS of y on x (log10 both with log), per category of `by`; "
        "returns the fit as `hwnas scaling fit --json` prints it.");
  m.def("enumerate", &enumerate_space, py::arg("space"), py::arg("space_options") = py::none(), py::arg("limit") = 1e6,
        "Every architecture of a space with its exact counts, as a NumPy structured array.");
}
