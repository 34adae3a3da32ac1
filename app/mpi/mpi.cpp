// MPI for `hwnas search` (see app/mpi.h): rank 0 drives the study through an EvaluationBackend
// whose slots are the evaluator ranks' threads; evaluator ranks run a local backend.
#include <mpi.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>

#include "../mpi.h"
#include "hwnas/core/error.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/nas/torch_device.h"
#include "hwnas/search/objective.h"
#include "hwnas/search/study.h"

namespace hwnas::cli {

namespace {

enum Tag : int { kTrial = 1, kResult = 2, kStop = 3 };

MpiWorld& world() {
  static MpiWorld w;
  return w;
}
bool& initialized() {
  static bool b = false;
  return b;
}

bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

void send_json(const nlohmann::json& j, int dest, int tag) {
  const std::string text = j.dump();
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

nlohmann::json recv_json(const MPI_Status& probed) {
  int n = 0;
  MPI_Get_count(&probed, MPI_CHAR, &n);
  std::string text(static_cast<std::size_t>(n), '\0');
  MPI_Recv(text.data(), n, MPI_CHAR, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return nlohmann::json::parse(text);
}

nlohmann::json raw_json(const std::vector<double>& raw) {
  nlohmann::json a = nlohmann::json::array();
  for (double v : raw) a.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
  return a;
}

std::vector<double> raw_from(const nlohmann::json& a) {
  std::vector<double> raw;
  for (const auto& v : a) raw.push_back(v.is_null() ? NAN : v.get<double>());
  return raw;
}

// Rank 0's side: trials go to the least loaded evaluator; results come back in any order.
class MpiBackend : public EvaluationBackend {
 public:
  MpiBackend(int per_rank, double timeout_s) : per_rank_(per_rank), timeout_s_(timeout_s) {
    load_.assign(static_cast<std::size_t>(world().size), 0);
  }
  std::size_t slots() const override { return static_cast<std::size_t>((world().size - 1) * per_rank_); }

  void submit(const Trial& t) override {
    int dest = 1;
    for (int r = 2; r < world().size; ++r)
      if (load_[static_cast<std::size_t>(r)] < load_[static_cast<std::size_t>(dest)]) dest = r;
    // A promotion (multi-fidelity) goes where its lower rung ran: that rank kept the checkpoint.
    if (auto it = rank_of_.find(t.hash); t.from_fidelity > 0 && it != rank_of_.end()) dest = it->second;
    if (t.fidelity > 0) rank_of_[t.hash] = dest;
    send_json({{"id", t.id},
               {"decisions", t.arch.choices},
               {"cheap", raw_json(t.cheap.raw)},
               {"degenerate", t.cheap.degenerate},
               {"fidelity", t.fidelity},
               {"from", t.from_fidelity}},
              dest, kTrial);
    ++load_[static_cast<std::size_t>(dest)];
    sent_[t.id] = {dest, std::chrono::steady_clock::now()};
  }

  std::vector<Finished> wait_any(double timeout_s) override {
    std::vector<Finished> out;
    if (sent_.empty()) return out;
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      int flag = 0;
      MPI_Status st;
      while (MPI_Iprobe(MPI_ANY_SOURCE, kResult, MPI_COMM_WORLD, &flag, &st), flag) {
        const nlohmann::json j = recv_json(st);
        Finished f;
        f.id = j.at("id").get<std::int64_t>();
        if (const auto e = j.value("user_error", std::string()); !e.empty()) {
          f.error = std::make_exception_ptr(UserError(e));
        } else {
          ObjectiveSet::Result r;
          r.raw = raw_from(j.at("raw"));
          r.failure = j.value("failure", std::string());
          r.degenerate = j.value("degenerate", false);
          r.fidelity = j.value("fidelity", 0);
          r.cost = j.value("cost", 0.0);
          r.eval_s = j.value("eval_s", 0.0);
          f.result = std::move(r);
        }
        --load_[static_cast<std::size_t>(st.MPI_SOURCE)];
        sent_.erase(f.id);
        out.push_back(std::move(f));
      }
      if (!out.empty()) return out;
      const auto now = std::chrono::steady_clock::now();
      if (timeout_s_ > 0)
        for (const auto& [id, s] : sent_)
          if (std::chrono::duration<double>(now - s.second).count() > timeout_s_) {
            std::cerr << "error: evaluator rank " << s.first << " has not returned trial " << id << " in " << timeout_s_
                      << " s (--eval-timeout); aborting the job. Every finished evaluation is in the log: continue with "
                         "--resume RUN_DIR\n"
                      << std::flush;
            MPI_Abort(MPI_COMM_WORLD, 3);
          }
      if (timeout_s >= 0 && std::chrono::duration<double>(now - start).count() >= timeout_s) return out;
      ::usleep(200);
    }
  }

 private:
  int per_rank_;
  double timeout_s_;
  std::vector<int> load_;
  std::map<std::int64_t, std::pair<int, std::chrono::steady_clock::time_point>> sent_;
  std::map<std::uint64_t, int> rank_of_;  // canonical hash -> the rank that last evaluated it at a fidelity
};

}  // namespace

const MpiWorld& mpi_world() { return world(); }

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpirun()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  initialized() = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &world().rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world().size);
  // This process's number among the job's processes on its machine: "torch_device": "cuda" runs
  // evaluator ranks on GPU local_rank % device_count (torch_device.h).
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world().rank, MPI_INFO_NULL, &node);
  int local = 0;
  MPI_Comm_rank(node, &local);
  MPI_Comm_free(&node);
  set_local_rank(local);
}

MpiSession::~MpiSession() {
  if (initialized()) MPI_Finalize();
}

void mpi_serve(const SearchConfig& cfg) {
  auto space = make_space(cfg.space, cfg.space_options);
  space->set_as_built(cfg.costs_as_built());
  const ObjectiveSet objectives(cfg, *space);
  // The expensive objectives of a trial, as Study::evaluate computes them on rank 0's machine.
  auto local = make_local_backend([&](const Trial& t) { return evaluate_trial(objectives, *space, t); }, cfg.parallelism);
  std::size_t in_flight = 0;
  for (;;) {
    for (auto& f : local->wait_any(in_flight > 0 ? 0.0005 : 0.0)) {
      --in_flight;
      nlohmann::json j = {{"id", f.id}};
      if (f.error) {
        try {
          std::rethrow_exception(f.error);
        } catch (const UserError& e) {
          j["user_error"] = e.what();
        }
      } else {
        j["raw"] = raw_json(f.result->raw);
        j["failure"] = f.result->failure;
        j["degenerate"] = f.result->degenerate;
        j["fidelity"] = f.result->fidelity;
        j["cost"] = f.result->cost;
        j["eval_s"] = f.result->eval_s;
      }
      send_json(j, 0, kResult);
    }
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) {
      if (in_flight == 0) ::usleep(200);
      continue;
    }
    const nlohmann::json j = recv_json(st);
    if (st.MPI_TAG == kStop) return;  // trials still running are abandoned: rank 0 is done
    Trial t;
    t.id = j.at("id").get<std::int64_t>();
    t.arch.choices = j.at("decisions").get<std::vector<int>>();
    t.cheap.raw = raw_from(j.at("cheap"));
    t.cheap.degenerate = j.value("degenerate", false);
    t.fidelity = j.value("fidelity", 0);
    t.from_fidelity = j.value("from", 0);
    local->submit(t);
    ++in_flight;
  }
}

std::unique_ptr<EvaluationBackend> make_mpi_backend(const SearchConfig& cfg, double timeout_s) {
  HWNAS_CHECK(world().size > 1, "make_mpi_backend without evaluator ranks");
  return std::make_unique<MpiBackend>(cfg.parallelism, timeout_s);
}

void mpi_stop_evaluators() {
  if (world().rank != 0) return;
  for (int r = 1; r < world().size; ++r) send_json(nlohmann::json::object(), r, kStop);
}

}  // namespace hwnas::cli
