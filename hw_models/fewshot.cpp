// Few-shot adaptation of a profile to measured whole networks (adapt_profile): the scale models,
// the structural model, the held-out choice among them, and reading sample files.
#include "hwnas/hw_models/calibration.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "hwnas/core/csv.h"
#include "hwnas/core/rank_stats.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "structural_fit.h"
#include "calibration_common.h"

namespace hwnas {

using namespace calibration_detail;

namespace {

// One inference of a real network measured in hours is a unit mistake (seconds, microseconds).
constexpr double kMaxSampleLatencyMs = 1e7;

}  // namespace

KernelTerms::KernelTerms(const HardwareModel& base, const LayerList& layers, int batch, Precision precision)
    : precision_(precision), base_(base.profile()) {
  base_.lookup_table = {};
  for (const LayerTerms& t : base.terms(layers, batch, precision))
    if (t.kernels > 0) terms_.push_back(t);
}

KernelTerms::Ratios KernelTerms::ratios(const DeviceProfile& now) const {
  HWNAS_CHECK(now.cache_mb == base_.cache_mb && now.full_occupancy_outputs == base_.full_occupancy_outputs &&
                  now.conv_channel_tile == base_.conv_channel_tile && now.runtime == base_.runtime,
              "kernel terms rescaled to a profile with another cache size, occupancy, channel tile or runtime");
  Ratios r;
  r.compute = peak_of(base_, precision_) / peak_of(now, precision_);
  r.memory = base_.memory_bandwidth_gbs / now.memory_bandwidth_gbs;
  const double cache = base_.cache_bandwidth_gbs / now.cache_bandwidth_gbs;
  HWNAS_CHECK(std::fabs(cache - r.memory) <= 1e-9 * r.memory,
              "kernel terms rescaled to a profile whose DRAM and cache bandwidths changed by different factors");
  return r;
}

void AdaptOptions::validate() const {
  auto fail = [](const std::string& field, const std::string& what) {
    throw UserError("few-shot adaptation: " + field + ": expected " + what);
  };
  if (iterations < 1) fail("iterations", "a positive integer, got " + std::to_string(iterations));
  if (!(std::isfinite(prior_weight) && prior_weight >= 0)) fail("prior_weight", "a finite non-negative weight");
  if (!(std::isfinite(class_weight) && class_weight >= 0)) fail("class_weight", "a finite non-negative weight");
  if (exact_loo_max < 0) fail("exact_loo_max", "a non-negative count, got " + std::to_string(exact_loo_max));
  if (cv_folds < 2) fail("cv_folds", "at least 2 folds, got " + std::to_string(cv_folds));
}

std::string FitReport::brief() const {
  std::ostringstream os;
  os << samples << " samples, MAPE " << mape_before << "% -> " << mape_after << "%";
  if (!choice.empty()) os << "\n  model: " << choice;
  for (const auto& [k, v] : parameters) os << "\n  " << k << " = " << v;
  for (const auto& [arch, factor] : suspects)
    os << "\n  check this sample" << (suspects_left_out ? " (left out of the fit)" : "") << ": its latency is " << factor
       << "x off the others' (relative to the profile): " << arch;
  return os.str();
}

std::vector<LatencySample> read_latency_samples(const std::string& path, const SearchSpace& space, int min_rows,
                                                const DecodeOptions& decode) {
  const CsvTable t = read_csv_file(path);
  const std::size_t arch_col = t.require_column("arch_str");
  const std::size_t lat_col = t.require_column("latency_ms");
  std::vector<LatencySample> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    LatencySample s;
    s.arch = t.rows[r][arch_col];
    Architecture a;
    try {
      a = space.parse(s.arch);
    } catch (const UserError& e) {
      throw UserError(t.where(r) + ": column 'arch_str': not a " + space.name() + " architecture: " + e.what());
    }
    s.latency_ms = t.number(r, lat_col);
    if (!(s.latency_ms > 0))
      throw UserError(t.where(r) + ": column 'latency_ms': expected a positive latency in ms, got '" +
                      t.rows[r][lat_col] + "'");
    if (s.latency_ms > kMaxSampleLatencyMs)
      throw UserError(t.where(r) + ": column 'latency_ms': expected a latency in ms of at most 1e7 (about 3 hours), got '" +
                      t.rows[r][lat_col] + "'");
    s.layers = space.layers(a, decode);
    out.push_back(std::move(s));
  }
  if (static_cast<int>(out.size()) < min_rows)
    throw UserError(path + ": " + std::to_string(out.size()) + " samples; adaptation needs at least " +
                    std::to_string(min_rows) + " rows of measured (arch_str, latency_ms)");
  return out;
}

namespace {

using Scales = AdaptOptions::Scales;

// The samples a fit sees: each with its kernel terms under the starting profile, which every
// refit rescales instead of calling HardwareModel::terms() again (cross-validation refits the
// same networks thousands of times).
struct Prepared {
  const LatencySample* sample;
  KernelTerms terms;
};

std::vector<double> predict_prepared(const DeviceProfile& p, const std::vector<Prepared>& all,
                                     const std::vector<std::size_t>& use, int batch, Precision prec) {
  const HardwareModel m = analytic_model(p);
  std::vector<double> out;
  for (std::size_t i : use) out.push_back(m.predict(all[i].sample->layers, batch, prec).latency_ms);
  return out;
}

// Adds a warning for every fitted time multiplier (a report parameter named *scale*) beyond
// kSuspectScale either way.
void warn_large_scales(FitReport& r) {
  for (const auto& [name, v] : r.parameters) {
    if (name.find("scale") == std::string::npos || (v <= kSuspectScale && v >= 1.0 / kSuspectScale)) continue;
    std::ostringstream os;
    os << "the adaptation to whole networks multiplied times by " << name << " = " << v << " (more than "
       << kSuspectScale << "x either way): the starting profile or the measurements are off, and the fit is suspect";
    r.warnings.push_back(os.str());
  }
}

// adapt_profile with a fixed model (Global, Shared, PerClass or PerClassTerms) on the samples
// all[use[...]]. Without `report` only the profile is filled (the cross-validation folds).
FitResult adapt_fixed(const DeviceProfile& start, const std::vector<Prepared>& all, const std::vector<std::size_t>& use,
                      int batch, Precision precision, const AdaptOptions& opts, Scales model, bool report) {
  const bool global = model == Scales::Global, terms_per_class = model == Scales::PerClassTerms;
  const bool compute_per_class = model == Scales::PerClass || terms_per_class;
  FitResult res;
  res.profile = start;
  res.profile.lookup_table = {};
  std::vector<double> measured;
  for (std::size_t i : use) measured.push_back(all[i].sample->latency_ms);
  res.report.samples = static_cast<int>(use.size());
  if (report) res.report.mape_before = mape(predict_prepared(res.profile, all, use, batch, precision), measured);
  const double ref_overhead_ms = std::max(1e-3 * start.network_overhead_us, 0.02 * median(measured));
  // Three kinds of time multiplier (compute, memory, kernel overhead), each one column or one per
  // op class, then the network overhead, then for each kind fitted per class the shared scale its
  // classes are pulled to (so a class the samples say little about moves with the others).
  // Global: the three kinds share column 0 (every layer's time scales alike).
  enum Kind { kCompute, kMemory, kKernel, kKinds };
  const std::array<bool, kKinds> per_class{compute_per_class, terms_per_class, terms_per_class};
  std::array<std::array<int, kNumOpClasses>, kKinds> col{};
  std::array<int, kKinds> group{-1, -1, -1};
  int cols = 0;
  for (int k = 0; k < kKinds; ++k) {
    if (global && k > 0) {
      col[k] = col[0];
      continue;
    }
    for (int c = 0; c < kNumOpClasses; ++c) col[k][c] = per_class[k] ? cols + c : cols;
    cols += per_class[k] ? kNumOpClasses : 1;
  }
  const int col_o = cols++;
  for (int k = 0; k < kKinds; ++k)
    if (per_class[k]) group[k] = cols++;
  std::array<PerOpClass, kKinds> total;
  for (auto& t : total)
    for (OpClass c : kClasses) t[c] = 1;
  const auto n = static_cast<Eigen::Index>(use.size());
  Eigen::MatrixXd F(n, cols);
  for (int it = 0; it < opts.iterations; ++it) {
    const DeviceProfile& p = res.profile;
    const KernelTerms::Ratios ratios = all[use[0]].terms.ratios(p);
    std::array<double, kNumOpClasses> efficiency{}, memory_efficiency{}, overhead_ms{};
    for (int c = 0; c < kNumOpClasses; ++c) {
      efficiency[c] = p.efficiency[kClasses[c]];
      memory_efficiency[c] = p.memory_efficiency[kClasses[c]];
      overhead_ms[c] = 1e-3 * (p.kernel_overhead_us + p.class_overhead_us[kClasses[c]]);
    }
    F.setZero();
    for (Eigen::Index i = 0; i < n; ++i) {
      const KernelTerms& kt = all[use[static_cast<std::size_t>(i)]].terms;
      for (std::size_t k = 0; k < kt.size(); ++k) {
        const LayerTerms t = kt.at(k, ratios);
        const int c = static_cast<int>(t.cls);
        const double compute = t.peak_compute_ms / efficiency[c], memory = t.memory_ms / memory_efficiency[c];
        if (compute >= memory) F(i, col[kCompute][c]) += compute;
        else F(i, col[kMemory][c]) += memory;
        F(i, col[kKernel][c]) += t.kernels * overhead_ms[c];
      }
      F(i, col_o) = ref_overhead_ms;
    }
    // Relative errors of the samples, then the priors: every multiplier pulled towards its current
    // value (1; the network overhead's current value relative to the reference), and a kind fitted
    // per class pulled with `class_weight` towards its shared scale, itself pulled towards 1.
    const double o_prior = 1e-3 * p.network_overhead_us / ref_overhead_ms;
    std::vector<std::pair<Eigen::VectorXd, double>> priors;
    auto prior = [&](std::initializer_list<std::pair<int, double>> terms, double weight, double target) {
      Eigen::VectorXd row = Eigen::VectorXd::Zero(cols);
      for (auto [c, coef] : terms) row(c) = coef * weight;
      priors.emplace_back(row, target * weight);
    };
    const double w = opts.prior_weight;
    for (int k = 0; k < (global ? 1 : kKinds); ++k) {
      if (per_class[k]) {
        prior({{group[k], 1}}, w, 1);
        for (int c = 0; c < kNumOpClasses; ++c) prior({{col[k][c], 1}, {group[k], -1}}, opts.class_weight, 0);
      } else {
        prior({{col[k][0], 1}}, w, 1);
      }
    }
    prior({{col_o, 1}}, w, o_prior);
    Eigen::MatrixXd A(n + static_cast<Eigen::Index>(priors.size()), cols);
    Eigen::VectorXd b(A.rows());
    for (Eigen::Index i = 0; i < n; ++i) {
      A.row(i) = F.row(i) / measured[static_cast<std::size_t>(i)];
      b(i) = 1.0;
    }
    for (std::size_t j = 0; j < priors.size(); ++j) {
      A.row(n + static_cast<Eigen::Index>(j)) = priors[j].first.transpose();
      b(n + static_cast<Eigen::Index>(j)) = priors[j].second;
    }
    const Eigen::VectorXd s = nnls(A, b);
    std::array<PerOpClass, kKinds> mult;
    for (int k = 0; k < kKinds; ++k)
      for (int c = 0; c < kNumOpClasses; ++c) {
        const double v = s(col[k][c]);
        mult[k][kClasses[c]] = k == kKernel ? v : std::max(v, 1e-3);  // an overhead may fit 0
        total[k][kClasses[c]] *= mult[k][kClasses[c]];
      }
    DeviceProfile next = p;
    apply_compute_multipliers(next, precision, mult[kCompute], true);
    if (per_class[kMemory]) {
      apply_memory_multipliers(next, mult[kMemory]);
    } else {
      next.memory_bandwidth_gbs /= mult[kMemory].conv_dense;
      next.cache_bandwidth_gbs /= mult[kMemory].conv_dense;
    }
    if (per_class[kKernel]) {
      // Each class's overhead per kernel, split into the smallest (shared) and the rest per class.
      PerOpClass overhead_us;
      double shared = std::numeric_limits<double>::infinity();
      for (int c = 0; c < kNumOpClasses; ++c) {
        overhead_us[kClasses[c]] = 1e3 * overhead_ms[c] * mult[kKernel][kClasses[c]];
        shared = std::min(shared, overhead_us[kClasses[c]]);
      }
      next.kernel_overhead_us = shared;
      for (OpClass c : kClasses) next.class_overhead_us[c] = overhead_us[c] - shared;
    } else {
      next.kernel_overhead_us *= mult[kKernel].conv_dense;
      for (OpClass c : kClasses) next.class_overhead_us[c] *= mult[kKernel].conv_dense;
    }
    next.network_overhead_us = 1e3 * s(col_o) * ref_overhead_ms;
    res.profile = std::move(next);
  }
  if (!report) return res;
  res.report.mape_after = mape(predict_prepared(res.profile, all, use, batch, precision), measured);
  if (global) {
    res.report.parameters.push_back({"time_scale", total[kCompute][OpClass::ConvDense]});
  } else {
    const std::array<const char*, kKinds> names{"compute_time_scale", "memory_time_scale", "kernel_overhead_scale"};
    for (int k = 0; k < kKinds; ++k) {
      if (!per_class[k]) {
        res.report.parameters.push_back({names[k], total[k][OpClass::ConvDense]});
        continue;
      }
      for (OpClass c : kClasses)
        res.report.parameters.push_back({std::string(names[k]) + "." + op_class_name(c), total[k][c]});
    }
  }
  res.report.parameters.push_back({"network_overhead_us", res.profile.network_overhead_us});
  warn_large_scales(res.report);
  return res;
}

// Each sample predicted by a fit to the samples outside its fold, the fold of sample i being
// i mod `folds` (folds = n: leave-one-out), in sample order.
std::vector<double> cross_validated(const DeviceProfile& start, const std::vector<Prepared>& all, std::size_t folds,
                                    int batch, Precision precision, const AdaptOptions& opts, Scales model) {
  std::vector<double> out(all.size());
  std::vector<std::size_t> train, held;
  for (std::size_t f = 0; f < folds; ++f) {
    train.clear();
    held.clear();
    for (std::size_t i = 0; i < all.size(); ++i) (i % folds == f ? held : train).push_back(i);
    const DeviceProfile fit = adapt_fixed(start, all, train, batch, precision, opts, model, false).profile;
    const std::vector<double> pred = predict_prepared(fit, all, held, batch, precision);
    for (std::size_t k = 0; k < held.size(); ++k) out[held[k]] = pred[k];
  }
  return out;
}

// The structural model's inputs over all samples: layer-key counts and the starting profile's
// predictions (the prior it is blended with).
struct StructuralInputs {
  LayerKeyCounts features;
  std::vector<double> profile_ms, measured_ms;
};

StructuralInputs structural_inputs(const DeviceProfile& start, const std::vector<Prepared>& all, int batch,
                                   Precision precision) {
  StructuralInputs in;
  std::vector<const LayerList*> nets;
  std::vector<std::size_t> every;
  for (std::size_t i = 0; i < all.size(); ++i) {
    nets.push_back(&all[i].sample->layers);
    in.measured_ms.push_back(all[i].sample->latency_ms);
    every.push_back(i);
  }
  in.features = layer_key_counts(nets);
  in.profile_ms = predict_prepared(start, all, every, batch, precision);
  return in;
}

// Every layer's time (compute, memory, overheads) and the network overhead multiplied by `s`.
void scale_profile_time(DeviceProfile& p, Precision precision, double s) {
  PerOpClass mult;
  for (OpClass c : kClasses) mult[c] = s;
  apply_compute_multipliers(p, precision, mult, true);
  p.memory_bandwidth_gbs /= s;
  p.cache_bandwidth_gbs /= s;
  p.kernel_overhead_us *= s;
  for (OpClass c : kClasses) p.class_overhead_us[c] *= s;
  p.network_overhead_us *= s;
}

// The structural model fitted to all samples, as a profile: the start scaled, its network
// overhead shifted by the intercept, and the per-key deltas as corrections.
FitResult adapt_structural(const DeviceProfile& start, const std::vector<Prepared>& all, const StructuralInputs& in,
                           const std::vector<std::size_t>& use, int batch, Precision precision) {
  const StructuralFit f = fit_structural(in.features.counts, in.profile_ms, in.measured_ms, use);
  FitResult res;
  res.profile = start;
  std::vector<double> measured;
  for (std::size_t i : use) measured.push_back(in.measured_ms[i]);
  res.report.samples = static_cast<int>(use.size());
  std::vector<double> before;
  for (std::size_t i : use) before.push_back(in.profile_ms[i]);
  res.report.mape_before = mape(before, measured);
  const double scale = f.scale;  // positive (fit_structural holds it at a floor)
  scale_profile_time(res.profile, precision, scale);
  res.profile.network_overhead_us = std::max(0.0, res.profile.network_overhead_us + 1e3 * f.intercept_ms);
  res.profile.corrections.batch = batch;
  res.profile.corrections.precision = precision_name(precision);
  double largest = 0;
  for (Eigen::Index k = 0; k < f.delta_ms.size(); ++k) largest = std::max(largest, std::fabs(f.delta_ms(k)));
  for (Eigen::Index k = 0; k < f.delta_ms.size(); ++k)
    if (std::fabs(f.delta_ms(k)) > 1e-9 * largest && f.delta_ms(k) != 0)
      res.profile.corrections.latency_us[in.features.keys[static_cast<std::size_t>(k)]] = 1e3 * f.delta_ms(k);
  const HardwareModel m(res.profile);
  std::vector<double> after;
  for (std::size_t i : use) after.push_back(m.predict(all[i].sample->layers, batch, precision).latency_ms);
  res.report.mape_after = mape(after, measured);
  res.report.parameters.push_back({"time_scale", scale});
  res.report.parameters.push_back({"network_overhead_us", res.profile.network_overhead_us});
  res.report.parameters.push_back({"ridge", f.ridge});
  res.report.parameters.push_back({"corrected_layer_kinds", static_cast<double>(res.profile.corrections.latency_us.size())});
  warn_large_scales(res.report);
  return res;
}

// Indices of samples whose measured / predicted ratio under the starting profile is far from the
// others' (see FitReport::suspects), worst first, with the factor: robust (median and median
// absolute deviation of the log ratios), so a wild sample cannot hide by dragging a fit.
std::vector<std::pair<std::size_t, double>> find_suspects(const DeviceProfile& start,
                                                          const std::vector<LatencySample>& samples, int batch,
                                                          Precision precision) {
  std::vector<std::pair<std::size_t, double>> out;
  if (samples.size() < 3) return out;
  const std::vector<double> pred = predict_all(start, samples, batch, precision);
  std::vector<double> logr;
  for (std::size_t i = 0; i < samples.size(); ++i) logr.push_back(std::log(samples[i].latency_ms / pred[i]));
  const double mid = median(logr);
  std::vector<double> dev;
  for (double x : logr) dev.push_back(std::fabs(x - mid));
  const double limit = std::max(std::log(3.0), 5 * median(dev));  // at least 3x off the typical ratio
  for (std::size_t i = 0; i < samples.size(); ++i)
    if (dev[i] > limit) out.push_back({i, std::exp(dev[i])});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

// How well a candidate's held-out predictions score: relative error plus rank error, both
// fractions of what is wrong (the mean relative error, and the share of pairs of networks put in
// the wrong order, (1 - Kendall tau) / 2), with the standard error of that sum over samples: each
// sample's relative error plus the share of its pairs in the wrong order.
struct HeldOutScore {
  double mape = 0, tau = 0, total = 0, standard_error = 0;
};

HeldOutScore score_held_out(const std::vector<double>& pred, const std::vector<double>& measured) {
  HeldOutScore s;
  s.mape = mape(pred, measured);
  s.tau = kendall(pred, measured);
  if (!std::isfinite(s.tau)) s.tau = 0;  // all measurements (or predictions) equal: no order to get right
  s.total = s.mape / 100.0 + (1.0 - s.tau) / 2.0;
  const std::size_t n = pred.size();
  if (n < 2) return s;
  std::vector<double> wrong(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if ((pred[i] - pred[j]) * (measured[i] - measured[j]) < 0) wrong[i] += 1, wrong[j] += 1;
  double sum = 0, sum2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double e = std::fabs(pred[i] - measured[i]) / measured[i] + wrong[i] / static_cast<double>(n - 1);
    sum += e;
    sum2 += e * e;
  }
  const double mean = sum / static_cast<double>(n);
  s.standard_error = std::sqrt(std::max(0.0, sum2 / static_cast<double>(n) - mean * mean) / static_cast<double>(n));
  return s;
}

FitResult adapt_chosen(const DeviceProfile& start, const std::vector<LatencySample>& samples, int batch,
                       Precision precision, const AdaptOptions& opts) {
  if (samples.empty()) throw UserError("adaptation needs at least one measured network");
  DeviceProfile base = start;
  base.lookup_table = {};
  const HardwareModel base_model(base);
  std::vector<Prepared> all;
  all.reserve(samples.size());
  for (const auto& s : samples) all.push_back({&s, KernelTerms(base_model, s.layers, batch, precision)});
  std::vector<std::size_t> every(samples.size());
  for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
  if (opts.scales == Scales::Structure) return adapt_structural(start, all, structural_inputs(start, all, batch, precision), every, batch, precision);
  if (opts.scales != Scales::Auto) return adapt_fixed(start, all, every, batch, precision, opts, opts.scales, true);
  if (samples.size() < 3) {
    FitResult r = adapt_fixed(start, all, every, batch, precision, opts, Scales::Global, true);
    r.report.choice = "one time scale (fewer than 3 samples)";
    return r;
  }
  // Simplest first; a richer model must predict left-out networks better by more than one
  // standard error to be chosen.
  // Exact leave-one-out costs n fits per scale model; above exact_loo_max samples k-fold
  // cross-validation (k fits) scores them instead, which many samples make just as reliable.
  // The structural model's leave-one-out predictions come in closed form (at its ridge weight,
  // itself chosen by leave-one-out error on the samples).
  const bool exact = static_cast<int>(samples.size()) <= opts.exact_loo_max;
  const std::size_t folds = exact ? samples.size() : std::min(samples.size(), static_cast<std::size_t>(opts.cv_folds));
  const std::array<std::pair<Scales, const char*>, 5> models{
      {{Scales::Global, "one time scale"},
       {Scales::Shared, "one compute scale"},
       {Scales::PerClass, "a compute scale per op class"},
       {Scales::PerClassTerms, "compute, memory and overhead scales per op class"},
       {Scales::Structure, "structural (layer kinds)"}}};
  const std::array<const char*, 5> short_name{"one time scale", "one compute scale", "per op class",
                                              "all terms per op class", "structural"};
  std::vector<double> measured;
  for (const auto& s : samples) measured.push_back(s.latency_ms);
  const StructuralInputs in = structural_inputs(start, all, batch, precision);
  std::array<HeldOutScore, 5> cv{};
  std::size_t best = 0;
  for (std::size_t k = 0; k < models.size(); ++k) {
    std::vector<double> pred;
    if (models[k].first != Scales::Structure) {
      pred = cross_validated(start, all, folds, batch, precision, opts, models[k].first);
    } else if (exact) {
      pred = fit_structural(in.features.counts, in.profile_ms, in.measured_ms, every).loo_ms;
    } else {
      // The folds fit at the ridge weight leave-one-out picks on all samples (as the exact
      // rule scores it), so k-fold with k = n agrees with leave-one-out.
      const std::vector<double> ridge{fit_structural(in.features.counts, in.profile_ms, in.measured_ms, every).ridge};
      pred.assign(samples.size(), 0);
      std::vector<std::size_t> train;
      for (std::size_t f = 0; f < folds; ++f) {
        train.clear();
        for (std::size_t i = 0; i < samples.size(); ++i)
          if (i % folds != f) train.push_back(i);
        const StructuralFit fit = fit_structural(in.features.counts, in.profile_ms, in.measured_ms, train, ridge);
        for (std::size_t i = f; i < samples.size(); i += folds)
          pred[i] = predict_structural(fit, in.features.counts, in.profile_ms, i);
      }
    }
    cv[k] = score_held_out(pred, measured);
    if (cv[k].total < cv[best].total) best = k;
  }
  // The one-standard-error rule, as for the structural model's ridge: the simplest model whose
  // held-out score is within one standard error of the best. A handful of samples cannot tell
  // close models apart, and the simpler one keeps more of the profile.
  for (std::size_t k = 0; k < best; ++k)
    if (cv[k].total <= cv[best].total + cv[best].standard_error) {
      best = k;
      break;
    }
  FitResult r = models[best].first == Scales::Structure
                    ? adapt_structural(start, all, in, every, batch, precision)
                    : adapt_fixed(start, all, every, batch, precision, opts, models[best].first, true);
  std::ostringstream os;
  os.precision(3);
  os << models[best].second << " (";
  if (exact) os << "leave-one-out";
  else os << folds << "-fold cross-validation";
  os << " MAPE:";
  for (std::size_t k = 0; k < models.size(); ++k) os << (k ? ", " : " ") << cv[k].mape << "% " << short_name[k];
  os << "; Kendall tau:";
  for (std::size_t k = 0; k < models.size(); ++k) os << (k ? ", " : " ") << cv[k].tau << " " << short_name[k];
  os << ")";
  r.report.choice = os.str();
  return r;
}

}  // namespace

FitResult adapt_profile(const DeviceProfile& start_in, const std::vector<LatencySample>& samples, int batch,
                        Precision precision, const AdaptOptions& opts) {
  opts.validate();
  // A new fit replaces what an earlier one learned on top of the analytic model.
  DeviceProfile start = start_in;
  start.lookup_table = {};
  start.corrections = {};
  // Samples far off the others are left out of the fit when they are few (at most a quarter).
  const auto suspects = find_suspects(start, samples, batch, precision);
  const bool leave_out = !suspects.empty() && suspects.size() * 4 <= samples.size();
  std::vector<bool> off(samples.size(), false);
  if (leave_out)
    for (const auto& s : suspects) off[s.first] = true;
  std::vector<LatencySample> kept;
  for (std::size_t i = 0; i < samples.size(); ++i)
    if (!off[i]) kept.push_back(samples[i]);
  FitResult r = adapt_chosen(start, kept, batch, precision, opts);
  for (std::size_t k = 0; k < suspects.size() && k < 5; ++k)
    r.report.suspects.push_back({samples[suspects[k].first].arch, suspects[k].second});
  r.report.suspects_left_out = leave_out;
  return r;
}

}  // namespace hwnas
