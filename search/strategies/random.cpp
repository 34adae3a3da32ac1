// `random`: uniform samples of the space, skipping what was already proposed and what the cheap
// constraints reject; when draws keep failing the remainder is enumerated (small spaces).
#include "common.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/search/strategies.h"

namespace hwnas {

void RandomOptions::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json RandomOptions::to_json() const { return write_options(*this); }
RandomOptions RandomOptions::from_json(const nlohmann::json& j, const std::string& path) { return read_options<RandomOptions>(j, path); }

namespace {

class RandomStrategy : public SearchStrategy {
 public:
  RandomStrategy(const RandomOptions& o, const StrategyContext& ctx)
      : ctx_(ctx), core_(ctx_, o.max_retries, o.enumerate_limit, 0x72616e646f6dULL) {}
  std::string name() const override { return "random"; }
  std::vector<Architecture> ask(std::size_t n) override {
    std::vector<Architecture> out;
    while (out.size() < n) {
      auto a = core_.random_new();
      if (!a) break;
      out.push_back(std::move(*a));
    }
    return out;
  }
  void tell(const std::vector<Observation>& results) override { core_.record(results); }

 private:
  StrategyContext ctx_;
  detail::StrategyCore core_;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_random_strategy(const RandomOptions& o, const StrategyContext& ctx) {
  o.validate();
  detail::validate_context(ctx, "random");
  return std::make_unique<RandomStrategy>(o, ctx);
}

}  // namespace hwnas
