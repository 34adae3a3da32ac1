// hwnas proxy: zero-cost accuracy proxies of one architecture.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "command.h"
#include "torch_plugin.h"
#include "hwnas/core/error.h"
#include "hwnas/core/suggest.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/proxy.h"
#include "hwnas/nas/train.h"
#include "hwnas/nas/space_cli.h"

namespace {

struct ProxyArgs {
  std::string space = "nb201";
  std::string space_options;
  std::string arch;
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
  const hwnas::Architecture a = hwnas::parse_arch_from_cli(*space, args.arch);
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
  nlohmann::json train_json = nlohmann::json::object();
  if (!args.train.empty()) train_json = hwnas::parse_json(args.train, "--train");
  if (train_json.is_object() && train_json.contains("torch_device"))
    throw hwnas::UserError("--train.torch_device: `hwnas proxy` runs every proxy on --torch-device; give the device there");
  // --train is validated with the device it will run on (fp16 needs CUDA); its own errors come
  // before the plugin loads to check that the device is there.
  if (train_json.is_object()) train_json["torch_device"] = hwnas::parse_torch_device(args.torch_device, "--torch-device").str();
  hwnas::TrainOptions topts = hwnas::TrainOptions::from_json(train_json, "--train");
  if (!train_json.contains("seed")) topts.seed = popts.seed;
  popts.device = topts.device = hwnas::cli::torch_device_from_cli(args.torch_device);
  // The dataset defaults a search's objectives use too (proxy.h), so both give the same score.
  auto load = [&](hwnas::DatasetOptions d) {
    d.name = args.dataset;
    d.dir = args.data_dir;
    d.validate("--dataset");
    return hwnas::load_dataset(d);
  };
  bool needs_data = false;
  for (const auto& n : names) needs_data |= n != "train" && hwnas::proxy_needs_data(n);
  const bool training = std::find(names.begin(), names.end(), "train") != names.end();
  hwnas::DataSplit data, train_data;
  if (needs_data) data = load(hwnas::proxy_dataset_defaults(popts));
  if (training) train_data = load(hwnas::train_dataset_defaults(topts.seed));
  const hwnas::cli::TorchPlugin& torch = hwnas::cli::torch_plugin();
  torch.set_threads(args.threads);
  nlohmann::json out = {{"space", space->name()}, {"arch", space->to_string(a)}, {"torch_device", popts.device.str()}};
  nlohmann::json errors = nlohmann::json::object(), seconds = nlohmann::json::object();
  for (const auto& n : names) {
    if (n == "train") {
      const hwnas::TrainResult t = torch.train_proxy(*space, a, train_data, topts);
      out["train"] = t.ok ? nlohmann::json(t.val_accuracy) : nlohmann::json(nullptr);
      out["train_details"] = t.to_json();
      seconds[n] = t.seconds;
      if (!t.ok) errors[n] = t.message;
      continue;
    }
    const hwnas::ProxyResult r = torch.score_proxy(n, *space, a, needs_data ? &data.train : nullptr, popts);
    out[n] = r.ok ? nlohmann::json(r.score) : nlohmann::json(nullptr);
    seconds[n] = r.seconds;
    if (!r.ok) errors[n] = r.message;
  }
  out["seconds"] = seconds;
  if (!errors.empty()) out["errors"] = errors;
  if (args.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "arch " << space->to_string(a) << "\n";
  for (const auto& n : names) {
    if (out[n].is_null())
      std::printf("%-10s failed: %s\n", n.c_str(), errors[n].get<std::string>().c_str());
    else
      std::printf("%-10s %.6g   (%.3f s)\n", n.c_str(), out[n].get<double>(), seconds[n].get<double>());
  }
}

void setup_proxy(CLI::App& root) {
  auto args = std::make_shared<ProxyArgs>();
  CLI::App* cmd = root.add_subcommand("proxy", "Score one architecture with zero-cost accuracy proxies");
  cmd->add_option("--space", args->space, "search space: nb201, mbv, or a space file (.json, docs/spaces.md)")->capture_default_str();
  cmd->add_option("--space-options", args->space_options, "space options as a JSON object");
  cmd->add_option("--arch", args->arch, "architecture string of the space")->required();
  cmd->add_option("--proxy", args->proxies,
                  "comma-separated: synflow, naswot, jacob_cov, grad_norm, snip, fisher, params, train (short training)")
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
