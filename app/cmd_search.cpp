// hwnas search: run a multi-objective architecture search from a JSON config.
#include <iostream>

#include "command.h"
#include "hwnas/search/controller.h"

namespace hwnas {
void set_torch_threads(int threads);  // nas/torch/threads.cpp
}

namespace {

struct SearchArgs {
  std::string config;
  bool quiet = false;
};

void run(const SearchArgs& args) {
  const hwnas::SearchConfig cfg = hwnas::SearchConfig::from_file(args.config);
  hwnas::set_torch_threads(1);
  const hwnas::SearchSummary s = hwnas::run_search(cfg, !args.quiet);
  std::cout << s.brief();
  for (const auto& r : s.front) {
    std::cout << "  #" << r["id"] << " " << r["arch"].get<std::string>();
    for (const auto& [k, v] : r["objectives"].items()) std::cout << "  " << k << "=" << v.get<double>();
    std::cout << "\n";
  }
}

void setup_search(CLI::App& root) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = root.add_subcommand("search", "Run a multi-objective search from a JSON config");
  cmd->add_option("config", args->config, "search config (JSON)")->required();
  cmd->add_flag("--quiet", args->quiet, "no progress line");
  cmd->callback([args] { run(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_search);
