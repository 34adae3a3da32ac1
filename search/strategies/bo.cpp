// `bo`: Bayesian optimization with one Gaussian process per expensive objective (surrogate.h) and
// the cheap objectives exact. Acquisition: expected hypervolume improvement over the current
// front in normalized units (Monte Carlo with fixed draws, common to every candidate) for up to
// three objectives; beyond, ParEGO's augmented Chebyshev scalarization with a random weight per
// proposal and its expected improvement (same draws). The acquisition is maximized over the
// discrete space by scoring random candidates and mutations of front members, then mutating the
// best of them again (`local_steps`). A batch is chosen greedily, each pick believed before the
// next (the Kriging believer, model_based.h: its predicted mean joins the front, and the GPs are
// conditioned on it).
#include <algorithm>
#include <cmath>
#include <deque>
#include <queue>
#include <unordered_set>

#include "acquisition.h"
#include "common.h"
#include "model_based.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/search/strategies.h"
#include "surrogate.h"

namespace hwnas {

void BoOptions::check(const std::string& path) const {
  if (random_candidates + mutation_candidates < 1)
    throw UserError(path + ".random_candidates: random_candidates + mutation_candidates must be at least 1");
  check_encoding_name(path, encoding);
}

void BoOptions::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json BoOptions::to_json() const { return write_options(*this); }
BoOptions BoOptions::from_json(const nlohmann::json& j, const std::string& path) { return read_options<BoOptions>(j, path); }

namespace {

class BoStrategy : public SearchStrategy {
 public:
  BoStrategy(const BoOptions& o, const StrategyContext& ctx)
      : opts_(o), ctx_(ctx), core_(ctx_, o.max_retries, o.enumerate_limit, 0x626fULL), surrogate_(o, *ctx.space) {
    use_ehvi_ = opts_.acquisition == "ehvi" || (opts_.acquisition == "auto" && ctx_.num_objectives <= 3);
    if (models_fidelity()) core_.model_highest_fidelity(static_cast<std::size_t>(opts_.initial_random));
    core_.normalize_cheap_over_space();
    Rng draws(Rng::mix(ctx_.seed ^ 0x647261777321ULL));
    z_.resize(static_cast<std::size_t>(opts_.mc_samples) * ctx_.num_objectives);
    for (double& z : z_) z = draws.normal();
  }
  std::string name() const override { return "bo"; }
  bool models_fidelity() const override { return opts_.fidelity == "highest"; }

  std::vector<Architecture> ask(std::size_t n) override {
    return detail::model_based_ask(
        n, opts_.initial_random, opts_.initial_design == "spread", opts_.proposals_per_refresh, ctx_.num_objectives, core_, surrogate_, queue_,
        [&](detail::FastFront& front) { return propose(front); },
        [&](detail::FastFront& front, std::size_t b) { return propose_many(front, b); });
  }

  void tell(const std::vector<Observation>& results) override { core_.record(results); }

 private:
  struct Candidates {
    std::vector<Architecture> archs;
    std::vector<Point> cheap;
    std::unordered_set<std::uint64_t> hashes;
  };

  void consider(Candidates& c, const Architecture& a) {
    const std::uint64_t h = core_.space().identity_hash(a);
    if (c.hashes.count(h) || !core_.is_new(a)) return;
    c.hashes.insert(h);
    Point v;
    if (!core_.admissible(a, &v)) return;
    c.archs.push_back(a);
    c.cheap.push_back(std::move(v));
  }

  // Acquisition value of row r of the predicted (mean, sd) against `front`.
  double acquisition(const Eigen::MatrixXd& mean, const Eigen::MatrixXd& sd, Eigen::Index r, const detail::FastFront& front,
                     const Point& weights, double best_scalar) const {
    const int d = ctx_.num_objectives;
    const int S = opts_.mc_samples;
    Point p(d);
    double acq = 0.0;
    if (use_ehvi_) {
      // Skip candidates that cannot improve even 3 standard deviations better than predicted.
      for (int k = 0; k < d; ++k) p[k] = mean(r, k) - 3.0 * sd(r, k);
      if (front.improvement(p) <= 0.0) return 0.0;
      double sum = 0.0;
      for (int s = 0; s < S; ++s) {
        for (int k = 0; k < d; ++k) p[k] = mean(r, k) + sd(r, k) * z_[static_cast<std::size_t>(s) * d + k];
        sum += front.improvement(p);
      }
      acq = sum / S;
    } else {
      double sum = 0.0;
      for (int s = 0; s < S; ++s) {
        for (int k = 0; k < d; ++k) p[k] = mean(r, k) + sd(r, k) * z_[static_cast<std::size_t>(s) * d + k];
        sum += std::max(0.0, best_scalar - chebyshev(p, weights));
      }
      acq = sum / S;
    }
    // Tiny tie-break towards uncertainty so that a flat acquisition still explores.
    double u = 0.0;
    for (int k = 0; k < d; ++k) u += sd(r, k);
    return acq + 1e-9 * u;
  }

  // Acquisition value of each candidate; the prediction is kept in `mean`/`sd` when given.
  std::vector<double> score(const Candidates& c, const detail::FastFront& front, const Point& weights, double best_scalar,
                            Eigen::MatrixXd* mean_out = nullptr, Eigen::MatrixXd* sd_out = nullptr) {
    Eigen::MatrixXd mean, sd;
    surrogate_.predict(core_, c.archs, c.cheap, mean, sd);
    std::vector<double> acq(c.archs.size(), 0.0);
    for (std::size_t i = 0; i < c.archs.size(); ++i)
      acq[i] = acquisition(mean, sd, static_cast<Eigen::Index>(i), front, weights, best_scalar);
    if (mean_out) *mean_out = std::move(mean);
    if (sd_out) *sd_out = std::move(sd);
    return acq;
  }

  static double chebyshev(const Point& p, const Point& w) {
    double mx = -1e300, sum = 0.0;
    for (std::size_t k = 0; k < p.size(); ++k) {
      mx = std::max(mx, w[k] * p[k]);
      sum += w[k] * p[k];
    }
    return mx + 0.05 * sum;
  }

  // The candidates of one proposal, or of q at once (m = ceil(sqrt(q)) times as many): mutations of
  // front members and random architectures, then `local_steps` rounds of mutating the best 5 m
  // again. Fills their acquisition values and, when asked, the prediction behind them.
  struct Scored {
    Candidates c;
    std::vector<double> acq;
    Eigen::MatrixXd mean, sd;
    Point weights;
    double best_scalar = 1e300;
  };
  Scored gather(const detail::FastFront& front, int m, bool keep_prediction) {
    Rng& rng = core_.rng();
    const auto& space = core_.space();
    const auto& members = core_.archive().members();
    Scored out;
    Candidates& c = out.c;
    std::vector<double>& acq = out.acq;
    // ParEGO weights: uniform on the simplex.
    Point& w = out.weights;
    w.assign(ctx_.num_objectives, 0.0);
    double& best_scalar = out.best_scalar;
    if (!use_ehvi_) {
      double total = 0;
      for (double& x : w) total += (x = -std::log(std::max(rng.uniform(), 1e-300)));
      for (double& x : w) x /= total;
      for (const auto& o : core_.observations()) best_scalar = std::min(best_scalar, chebyshev(core_.normalized(o.objectives), w));
    }
    for (int i = 0; i < opts_.mutation_candidates * m && !members.empty(); ++i) {
      Architecture a = core_.observations()[members[rng.uniform_index(members.size())].id].arch;
      a = space.mutate(a, rng);
      if (rng.uniform() < 0.3) a = space.mutate(a, rng);
      consider(c, a);
    }
    for (int i = 0; i < opts_.random_candidates * m; ++i) consider(c, space.sample(rng));
    Eigen::MatrixXd* mean = keep_prediction ? &out.mean : nullptr;
    Eigen::MatrixXd* sd = keep_prediction ? &out.sd : nullptr;
    acq = score(c, front, w, best_scalar, mean, sd);
    for (int step = 0; step < opts_.local_steps && !c.archs.empty(); ++step) {
      std::vector<std::size_t> order(c.archs.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      const std::size_t top = std::min<std::size_t>(5 * static_cast<std::size_t>(m), order.size());
      std::partial_sort(order.begin(), order.begin() + top, order.end(),
                        [&](std::size_t a, std::size_t b) { return acq[a] != acq[b] ? acq[a] > acq[b] : a < b; });
      Candidates more;
      more.hashes = c.hashes;
      for (std::size_t t = 0; t < top; ++t)
        for (int k = 0; k < 10; ++k) consider(more, space.mutate(c.archs[order[t]], rng));
      if (more.archs.empty()) break;
      Eigen::MatrixXd mean_more, sd_more;
      std::vector<double> acq_more = score(more, front, w, best_scalar, mean ? &mean_more : nullptr, sd ? &sd_more : nullptr);
      if (mean) {
        const Eigen::Index rows = mean->rows();
        mean->conservativeResize(rows + mean_more.rows(), Eigen::NoChange);
        sd->conservativeResize(rows + sd_more.rows(), Eigen::NoChange);
        mean->bottomRows(mean_more.rows()) = mean_more;
        sd->bottomRows(sd_more.rows()) = sd_more;
      }
      c.hashes = std::move(more.hashes);
      for (std::size_t i = 0; i < more.archs.size(); ++i) {
        c.archs.push_back(std::move(more.archs[i]));
        c.cheap.push_back(std::move(more.cheap[i]));
        acq.push_back(acq_more[i]);
      }
    }
    return out;
  }

  std::optional<Architecture> propose(const detail::FastFront& front) {
    Scored s = gather(front, 1, false);
    const Candidates& c = s.c;
    const std::vector<double>& acq = s.acq;
    if (c.archs.empty()) return std::nullopt;
    std::size_t best = 0;
    for (std::size_t i = 1; i < acq.size(); ++i)
      if (acq[i] > acq[best]) best = i;
    Architecture chosen = c.archs[best];
    core_.mark(chosen);
    return chosen;  // believed by model_based_ask when more proposals follow
  }

  // q proposals from one candidate search: greedily the best acquisition, each pick's predicted
  // mean joining the front (the Kriging believer, as propose does across one batch). A pick only
  // lowers the others' EHVI (the Monte Carlo draws are fixed, and a point's improvement over a
  // larger front is never larger), so the greedy order is found lazily: a candidate's value is
  // recomputed only when it reaches the top of the heap (Minoux's lazy greedy), giving the same
  // picks as recomputing every value after every pick.
  std::vector<Architecture> propose_many(detail::FastFront& front, std::size_t q) {
    const int m = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(q))));
    Scored s = gather(front, m, true);
    std::vector<Architecture> out;
    using Entry = std::pair<double, std::size_t>;  // (acquisition value, candidate index); ties go to the lower index
    auto worse = [](const Entry& a, const Entry& b) { return a.first != b.first ? a.first < b.first : a.second > b.second; };
    std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> heap(worse);
    for (std::size_t i = 0; i < s.acq.size(); ++i) heap.push({s.acq[i], i});
    // Picks made when each value was computed (the front grows by one per pick: stale if fewer).
    std::vector<std::size_t> fresh(s.acq.size(), 0);
    while (out.size() < q && !heap.empty()) {
      Entry e = heap.top();
      heap.pop();
      if (use_ehvi_ && fresh[e.second] != out.size()) {  // stale: the front grew since
        fresh[e.second] = out.size();
        heap.push({acquisition(s.mean, s.sd, static_cast<Eigen::Index>(e.second), front, s.weights, s.best_scalar), e.second});
        continue;
      }
      out.push_back(s.c.archs[e.second]);
      core_.mark(out.back());
      Point mean(ctx_.num_objectives);
      for (int k = 0; k < ctx_.num_objectives; ++k) mean[k] = s.mean(static_cast<Eigen::Index>(e.second), k);
      front.add(mean);
    }
    return out;
  }

  BoOptions opts_;
  StrategyContext ctx_;
  detail::StrategyCore core_;
  detail::Surrogate surrogate_;
  std::deque<Architecture> queue_;  // proposals of the last refresh not handed out yet (model_based.h)
  bool use_ehvi_ = true;
  std::vector<double> z_;  // fixed standard normal draws, mc_samples x num_objectives
};

}  // namespace

std::unique_ptr<SearchStrategy> make_bo_strategy(const BoOptions& o, const StrategyContext& ctx) {
  o.validate();
  detail::validate_context(ctx, "bo");
  return std::make_unique<BoStrategy>(o, ctx);
}

}  // namespace hwnas
