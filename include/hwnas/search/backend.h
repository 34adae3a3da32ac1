#pragma once
// Where a search's expensive objectives are evaluated. The controller (controller.h) asks the
// study for trials, submits them to a backend and tells the study what finishes; it does not know
// whether they ran on this process's threads (LocalBackend) or on MPI ranks (the hwnas program's
// MPI backend, app/mpi.cpp).
//
// Dispatch (config "dispatch"):
//   synchronous   rounds of batch_size: submit a round, wait for all of it, tell it in proposal
//                 order. The front depends on the config and seed only, not on the backend.
//   asynchronous  a trial is asked the moment a slot frees and told when it finishes (completion
//                 order): no slot waits for a slow round-mate. The study journals every ask and
//                 commit (trials.jsonl), so a resumed run replays exactly what happened; a fresh
//                 run is not bit-reproducible (it depends on timing), but is reproducible given
//                 its log and journal.
//
// Example:
//   auto backend = make_local_backend(study, 4);
//   backend->submit(trial);
//   for (auto& f : backend->wait_any()) study.tell(f.id, *f.result);
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "hwnas/search/study.h"

namespace hwnas {

class EvaluationBackend {
 public:
  virtual ~EvaluationBackend() = default;
  /// How many trials may be in flight at once.
  virtual std::size_t slots() const = 0;
  /// Starts evaluating a trial's expensive objectives (Study::evaluate).
  virtual void submit(const Trial& t) = 0;
  struct Finished {
    std::int64_t id = -1;
    std::optional<ObjectiveSet::Result> result;  // unset when `error` is set
    std::exception_ptr error;                     // a UserError: input no candidate gets past
  };
  /// Blocks until at least one submitted trial finished, or `timeout_s` passed (negative: no
  /// limit); returns every finished one not yet returned. Empty when nothing is in flight or on
  /// a timeout.
  virtual std::vector<Finished> wait_any(double timeout_s = -1) = 0;
};

/// `threads` worker threads in this process, each running Study::evaluate.
std::unique_ptr<EvaluationBackend> make_local_backend(const Study& study, int threads);
/// The same with another evaluation function (an MPI evaluator rank, which has no study).
std::unique_ptr<EvaluationBackend> make_local_backend(std::function<ObjectiveSet::Result(const Trial&)> evaluate, int threads);

}  // namespace hwnas
