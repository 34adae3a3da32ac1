// hwnas enumerate: every architecture of a finite space with its exact counts and canonical hash.
#include <chrono>
#include <iostream>
#include <sstream>
#include <unordered_set>

#include "command.h"
#include "hwnas/core/atomic_file.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "device_cli.h"
#include "space_cli.h"

namespace {

struct EnumerateArgs {
  std::string space = "nb201";
  std::string space_options;
  std::string out;
  bool keep_dead = false;
  double limit = 1e7;
  hwnas::DeviceCliOptions hw;  // --device, --batch, --precision
};

void run_enumerate(const EnumerateArgs& args) {
  if (!(args.limit >= 1)) {
    std::ostringstream os;
    os << "--limit: expected a positive number of architectures, got " << args.limit;
    throw hwnas::UserError(os.str());
  }
  auto space = hwnas::make_space_from_cli(args.space, args.space_options);
  hwnas::DecodeOptions dopts;
  dopts.prune_dead = !args.keep_dead;
  const auto start = std::chrono::steady_clock::now();
  const hwnas::DeviceColumns hw(args.hw, dopts.prune_dead);
  std::string csv = "arch_str,params,macs,flops,hash" + hw.header() + "\n";
  std::unordered_set<std::uint64_t> distinct;
  std::size_t n = 0;
  space->enumerate(
      [&](const hwnas::Architecture& a) {
        const hwnas::CostTotals t = space->count(a, dopts);
        const std::uint64_t h = space->canonical_hash(a);
        distinct.insert(h);
        csv += hwnas::csv_escape(space->to_string(a));
        csv += ',' + std::to_string(t.params) + ',' + std::to_string(t.macs) + ',' + std::to_string(t.flops) + ',' +
               hwnas::hash_hex(h);
        if (!hw.empty()) csv += hw.row(space->layers(a, dopts));
        csv += '\n';
        ++n;
      },
      args.limit);
  hwnas::write_file_atomic(args.out, csv);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "space " << space->name() << ": " << n << " architectures, " << distinct.size()
            << " distinct canonical forms, written to " << args.out << " in " << secs << " s\n";
}

void setup_enumerate(CLI::App& root) {
  auto args = std::make_shared<EnumerateArgs>();
  CLI::App* cmd = root.add_subcommand("enumerate", "Write every architecture of a finite space with its counts to CSV");
  cmd->add_option("--space", args->space, "search space: nb201, mbv, or a space file (.json, docs/spaces.md)")->capture_default_str();
  cmd->add_option("--space-options", args->space_options, "space options as a JSON object");
  cmd->add_option("--out", args->out, "output CSV file (columns arch_str,params,macs,flops,hash)")->required();
  cmd->add_flag("--keep-dead", args->keep_dead, "count networks as built (do not prune dead edges)");
  hwnas::add_device_cli_options(*cmd, args->hw);
  cmd->add_option("--limit", args->limit, "refuse spaces with more architectures than this")->capture_default_str();
  cmd->callback([args] { run_enumerate(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_enumerate);
