// hwnas proxy: zero-cost accuracy proxies of one architecture, or of every line of a file.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "command.h"
#include "torch_plugin.h"
#include "hwnas/core/error.h"
#include "hwnas/core/suggest.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/proxy.h"
#include "space_cli.h"
#include "hwnas/search/objective_proxy.h"

namespace {

struct ProxyArgs {
  std::string space = "nb201";
  std::string space_options;
  std::string arch;
  std::string arch_file;  // one architecture per line, scored in one process
  std::string proxies = "synflow";
  std::string dataset = "fashion-mnist";
  std::string data_dir;
  int batch = 64;
  long long seed = 0;
  int threads = 1;
  bool keep_dead = false;
  bool json = false;
  std::string train;  // TrainOptions as JSON
  std::string torch_device = "cpu";
};

void run_proxy(const ProxyArgs& args) {
  auto space = hwnas::make_space_from_cli(args.space, args.space_options);
  const std::vector<hwnas::Architecture> archs = hwnas::archs_from_cli(*space, args.arch, args.arch_file);
  std::vector<std::string> names;
  std::stringstream ss(args.proxies);
  for (std::string n; std::getline(ss, n, ',');) {
    if (!hwnas::is_proxy(n) && n != "train") {
      std::string known;
      std::vector<std::string> all = hwnas::proxy_names();
      all.push_back("train");
      for (const auto& k : all) known += (known.empty() ? "" : ", ") + k;
      throw hwnas::UserError("--proxy: unknown proxy '" + n + "'" + hwnas::did_you_mean(n, all) + " (known: " + known + ")");
    }
    names.push_back(n);
  }
  if (names.empty()) throw hwnas::UserError("--proxy: expected at least one proxy name");
  hwnas::ProxyOptions popts;
  popts.batch_size = args.batch;
  popts.seed = static_cast<std::uint64_t>(args.seed);
  popts.prune_dead = !args.keep_dead;
  popts.validate("--batch");
  if (args.threads < 1 || args.threads > 256)
    throw hwnas::UserError("--threads: expected an integer in 1..256, got " + std::to_string(args.threads));
  hwnas::DatasetOptions flags_data;  // checked here so that errors name the flags
  flags_data.name = args.dataset;
  flags_data.dir = args.data_dir;
  flags_data.validate("--dataset");
  nlohmann::json dataset = {{"name", args.dataset}};
  if (!args.data_dir.empty()) dataset["dir"] = args.data_dir;
  nlohmann::json train_json = nlohmann::json::object();
  if (!args.train.empty()) train_json = hwnas::parse_json(args.train, "--train");
  if (train_json.is_object() && train_json.contains("torch_device"))
    throw hwnas::UserError("--train.torch_device: `hwnas proxy` runs every proxy on --torch-device; give the device there");
  if (train_json.is_object() && train_json.contains("dataset"))
    throw hwnas::UserError("--train.dataset: `hwnas proxy` reads the dataset of every proxy from --dataset and --data-dir");
  // --train is validated with the device it will run on (fp16 needs CUDA); its own errors come
  // before the plugin loads to check that the device is there.
  const std::string device = hwnas::parse_torch_device(args.torch_device, "--torch-device").str();
  if (train_json.is_object()) train_json["torch_device"] = device, train_json["dataset"] = dataset;
  const bool training = std::find(names.begin(), names.end(), "train") != names.end();
  // The flags become the options a search config gives (objective_proxy.h) and the scores come
  // from the sources a search's objectives use, so both give the same score.
  const hwnas::TrainSourceOptions topts = hwnas::TrainSourceOptions::from_json(train_json, "--train", popts.seed);
  std::vector<hwnas::ProxySourceOptions> sources;
  for (const auto& n : names) {
    if (n == "train") continue;
    nlohmann::json spec = {{"name", n}, {"batch_size", popts.batch_size}, {"seed", args.seed},
                           {"prune_dead", popts.prune_dead}, {"torch_device", device}};
    if (hwnas::proxy_needs_data(n)) spec["dataset"] = dataset;
    sources.push_back(hwnas::ProxySourceOptions::from_json(spec, "--proxy", popts.seed));
  }
  popts.device = hwnas::cli::torch_device_from_cli(args.torch_device);
  const hwnas::cli::TorchPlugin& torch = hwnas::cli::torch_plugin();
  torch.set_threads(args.threads);
  std::vector<std::unique_ptr<hwnas::ProxySource>> scorers;
  for (const auto& o : sources) scorers.push_back(torch.make_proxy_source(o, "--proxy"));
  std::unique_ptr<hwnas::TrainSource> trainer;
  if (training) trainer = torch.make_train_source(topts, "--train");
  for (const auto& a : archs) {
    const hwnas::Candidate candidate(*space, a);
    nlohmann::json out = {{"space", space->name()}, {"arch", space->to_string(a)}, {"torch_device", popts.device.str()}};
    nlohmann::json errors = nlohmann::json::object(), seconds = nlohmann::json::object();
    std::size_t next = 0;
    for (const auto& n : names) {
      if (n == "train") {
        const hwnas::TrainResult t = trainer->train(candidate);
        out["train"] = t.ok ? nlohmann::json(t.val_accuracy) : nlohmann::json(nullptr);
        out["train_details"] = t.to_json();
        seconds[n] = t.seconds;
        if (!t.ok) errors[n] = t.message;
        continue;
      }
      const hwnas::ProxyResult r = scorers[next++]->score(candidate);
      out[n] = r.ok ? nlohmann::json(r.score) : nlohmann::json(nullptr);
      seconds[n] = r.seconds;
      if (!r.ok) errors[n] = r.message;
    }
    out["seconds"] = seconds;
    if (!errors.empty()) out["errors"] = errors;
    if (!args.arch_file.empty()) {
      std::cout << out.dump() << std::endl;  // one line per network, as soon as it is scored
      continue;
    }
    if (args.json) {
      std::cout << out.dump(2) << "\n";
      continue;
    }
    std::cout << "arch " << space->to_string(a) << "\n";
    for (const auto& n : names) {
      if (out[n].is_null())
        std::printf("%-10s failed: %s\n", n.c_str(), errors[n].get<std::string>().c_str());
      else
        std::printf("%-10s %.6g   (%.3f s)\n", n.c_str(), out[n].get<double>(), seconds[n].get<double>());
    }
  }
}

void setup_proxy(CLI::App& root) {
  auto args = std::make_shared<ProxyArgs>();
  CLI::App* cmd = root.add_subcommand("proxy", "Score one architecture (or a file of them) with zero-cost accuracy proxies");
  cmd->add_option("--space", args->space, "search space: nb201, mbv, or a space file (.json, docs/spaces.md)")->capture_default_str();
  cmd->add_option("--space-options", args->space_options, "space options as a JSON object");
  cmd->add_option("--arch", args->arch, "architecture string of the space");
  cmd->add_option("--arch-file", args->arch_file,
                  "file of architecture strings, one per line: each scored in turn, one JSON object per line "
                  "(LibTorch and the dataset load once)");
  cmd->add_option("--proxy", args->proxies,
                  "comma-separated proxies (the registry's, hwnas/nas/proxy.h):\n" + hwnas::proxy_help() +
                      "train: short training (--train)")
      ->capture_default_str();
  cmd->add_option("--dataset", args->dataset, "fashion-mnist, cifar10 (needs --data-dir) or synthetic")->capture_default_str();
  cmd->add_option("--data-dir", args->data_dir, "folder of the dataset files");
  cmd->add_option("--batch", args->batch, "minibatch size of data-dependent proxies")->capture_default_str();
  cmd->add_option("--seed", args->seed, "weight initialisation and minibatch seed")->capture_default_str();
  cmd->add_option("--threads", args->threads, "LibTorch intra-op threads")->capture_default_str();
  cmd->add_option("--torch-device", args->torch_device, "where the networks run: cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_flag("--keep-dead", args->keep_dead, "score the network as built (do not prune dead edges)");
  cmd->add_flag("--json", args->json, "print one JSON object with one key per proxy");
  cmd->add_option("--train", args->train,
                  "options of the `train` proxy as JSON, e.g. '{\"steps\": 200, \"reduce\": {\"channels\": 8}}'");
  cmd->callback([args] { run_proxy(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_proxy);
