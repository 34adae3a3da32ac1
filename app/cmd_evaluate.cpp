// hwnas evaluate: exact cost counts (and, with --device, hardware predictions) of one architecture.
#include <iostream>

#include "command.h"
#include "device_cli.h"
#include "hwnas/nas/cost.h"
#include "space_cli.h"

namespace {

struct EvaluateArgs {
  std::string space = "nb201";
  std::string space_options;
  std::string arch;
  bool json = false;
  bool keep_dead = false;
  bool layers = false;
  hwnas::DeviceCliOptions hw;  // --device, --batch, --precision
};

void run_evaluate(const EvaluateArgs& args) {
  auto space = hwnas::make_space_from_cli(args.space, args.space_options);
  const hwnas::DeviceColumns hw(args.hw, !args.keep_dead);  // loads the --device profiles (errors before any output)
  const hwnas::Architecture a = hwnas::parse_arch_from_cli(*space, args.arch);
  hwnas::DecodeOptions dopts;
  dopts.prune_dead = !args.keep_dead;
  const hwnas::LayerList layers = space->layers(a, dopts);
  const hwnas::CostTotals& t = layers.totals;
  const bool degenerate = !space->output_depends_on_input(a);
  if (args.json) {
    nlohmann::json j = t.to_json();
    j["space"] = space->name();
    j["arch"] = space->to_string(a);
    j["hash"] = hwnas::hash_hex(space->canonical_hash(a));
    j["prune_dead"] = dopts.prune_dead;
    j["degenerate"] = degenerate;
    hwnas::add_device_predictions_json(hw, layers, j);
    if (args.layers) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& l : layers.layers)
        list.push_back({{"name", l.name},
                        {"op", hwnas::op_kind_name(l.kind)},
                        {"input", {l.input.c, l.input.h, l.input.w}},
                        {"output", {l.output.c, l.output.h, l.output.w}},
                        {"params", l.params},
                        {"macs", l.macs},
                        {"flops", l.flops}});
      j["layers"] = list;
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (args.layers) {
    std::printf("%-44s %-16s %14s %12s %14s\n", "layer", "op", "output", "params", "macs");
    for (const auto& l : layers.layers) {
      const std::string shape = std::to_string(l.output.c) + "x" + std::to_string(l.output.h) + "x" + std::to_string(l.output.w);
      std::printf("%-44s %-16s %14s %12lld %14lld\n", l.name.c_str(), hwnas::op_kind_name(l.kind), shape.c_str(),
                  static_cast<long long>(l.params), static_cast<long long>(l.macs));
    }
  }
  std::cout << "space             " << space->name() << "\n"
            << "arch              " << space->to_string(a) << "\n"
            << "canonical hash    " << hwnas::hash_hex(space->canonical_hash(a)) << "\n"
            << "params            " << t.params << "\n"
            << "macs              " << t.macs << "\n"
            << "flops             " << t.flops << "\n"
            << "activation_bytes  " << t.activation_bytes << "\n"
            << "weight_bytes      " << t.weight_bytes << "\n";
  if (degenerate)
    std::cout << "degenerate        yes: the output does not depend on the input (a search rejects it unless "
                 "exclude_degenerate is false)\n";
  hwnas::print_device_predictions(hw, layers, std::cout);
}

void setup_evaluate(CLI::App& root) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = root.add_subcommand("evaluate", "Count params, MACs, FLOPs and bytes of one architecture");
  cmd->add_option("--space", args->space, "search space: nb201, mbv, or a space file (.json, docs/spaces.md)")->capture_default_str();
  cmd->add_option("--space-options", args->space_options, "space options as a JSON object, e.g. '{\"channels\": 8}'");
  cmd->add_option("--arch", args->arch, "architecture string of the space")->required();
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_flag("--keep-dead", args->keep_dead, "count the network as built (do not prune dead edges)");
  cmd->add_flag("--layers", args->layers, "also list every layer");
  hwnas::add_device_cli_options(*cmd, args->hw);
  cmd->callback([args] { run_evaluate(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_evaluate);
