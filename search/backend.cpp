#include "hwnas/search/backend.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "hwnas/core/error.h"

namespace hwnas {

namespace {

// A fixed pool of threads taking trials from a queue and putting results on another.
class LocalBackend : public EvaluationBackend {
 public:
  LocalBackend(std::function<ObjectiveSet::Result(const Trial&)> evaluate, int threads) : evaluate_(std::move(evaluate)) {
    HWNAS_CHECK(threads >= 1, "local backend needs a thread");
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~LocalBackend() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    todo_cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  std::size_t slots() const override { return workers_.size(); }

  void submit(const Trial& t) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      todo_.push_back(t);
      ++in_flight_;
    }
    todo_cv_.notify_one();
  }

  std::vector<Finished> wait_any(double timeout_s) override {
    std::unique_lock<std::mutex> lock(mutex_);
    if (in_flight_ == 0) return {};
    auto ready = [&] { return !done_.empty(); };
    if (timeout_s < 0) done_cv_.wait(lock, ready);
    else if (!done_cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), ready)) return {};
    std::vector<Finished> out(std::make_move_iterator(done_.begin()), std::make_move_iterator(done_.end()));
    done_.clear();
    in_flight_ -= out.size();
    return out;
  }

 private:
  void work() {
    for (;;) {
      Trial t;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        todo_cv_.wait(lock, [&] { return stop_ || !todo_.empty(); });
        if (stop_) return;
        t = std::move(todo_.front());
        todo_.pop_front();
      }
      Finished f;
      f.id = t.id;
      try {
        f.result = evaluate_(t);
      } catch (const UserError&) {
        f.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.push_back(std::move(f));
      }
      done_cv_.notify_one();
    }
  }

  std::function<ObjectiveSet::Result(const Trial&)> evaluate_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable todo_cv_, done_cv_;
  std::deque<Trial> todo_;
  std::vector<Finished> done_;
  std::size_t in_flight_ = 0;
  bool stop_ = false;
};

}  // namespace

std::unique_ptr<EvaluationBackend> make_local_backend(const Study& study, int threads) {
  return std::make_unique<LocalBackend>([&study](const Trial& t) { return study.evaluate(t); }, threads);
}

std::unique_ptr<EvaluationBackend> make_local_backend(std::function<ObjectiveSet::Result(const Trial&)> evaluate, int threads) {
  return std::make_unique<LocalBackend>(std::move(evaluate), threads);
}

}  // namespace hwnas
