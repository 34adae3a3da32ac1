// hwnas report: RUN_DIR/report.html, one self-contained page with the fronts, the hypervolume
// over evaluations and a sortable table of the front.
#include <iostream>

#include "command.h"
#include "hwnas/search/report.h"

namespace {

void setup_report(CLI::App& root) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = root.add_subcommand("report", "Write RUN_DIR/report.html: Pareto plots, hypervolume, front table");
  cmd->add_option("run_dir", *dir, "run directory of a search (config.json, evaluations.jsonl, pareto.json)")->required();
  cmd->callback([dir] {
    const std::string written = hwnas::write_report(*dir);  // an error leaves nothing printed on stdout
    std::cout << "wrote " << written << "\n";
  });
}

}  // namespace

HWNAS_COMMAND(setup_report);
