// hwnas ask / hwnas tell: drive a search from outside, one call at a time, over a run directory.
// The config's external objectives ({"external": {}}) are what the caller computes (its own
// training code, a cluster job); hwnas keeps the strategy, the cheap objectives and constraints,
// the dedup cache, the fsynced log, the front and the report (search/study.h). Each call takes
// the run's lock (waiting up to --wait seconds for another call), replays the run's journal and
// returns: any number of callers, in any language, can take turns.
//
//   hwnas ask runs/ext --config configs/external.json --n 4 --json   # creates the run
//   hwnas tell runs/ext --id 0 --value acc=0.912
//   hwnas tell runs/ext --id 1 --failed "out of memory"
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "command.h"
#include "torch_plugin.h"
#include "hwnas/core/error.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/config.h"
#include "hwnas/search/run_store.h"
#include "hwnas/search/study.h"

namespace {

namespace fs = std::filesystem;

struct StudyArgs {
  std::string run_dir;
  std::string config;
  std::vector<std::string> sets;
  double wait_s = 60;
};

// Opens the study of RUN_DIR: the run's own config.json, or --config (which creates the run).
std::unique_ptr<hwnas::Study> open_study(const StudyArgs& args, bool may_create) {
  hwnas::cli::load_torch_objectives_on_demand();
  if (!(args.wait_s >= 0 && args.wait_s <= 86400))
    throw hwnas::UserError("--wait " + std::to_string(args.wait_s) + ": expected seconds between 0 and 86400");
  const fs::path stored = hwnas::RunFiles::config(args.run_dir);
  const bool exists = fs::exists(stored);
  if (!exists && !may_create)
    throw hwnas::UserError(args.run_dir + ": not a run directory (no config.json); create the run with hwnas ask " + args.run_dir +
                           " --config CONFIG");
  if (!exists && args.config.empty())
    throw hwnas::UserError(args.run_dir + ": no run here yet; give --config CONFIG to create it");
  if (!args.sets.empty() && args.config.empty())
    throw hwnas::UserError("--set changes the config given with --config; a run's own config.json is not edited");
  const hwnas::SearchConfig cfg = hwnas::SearchConfig::from_file(args.config.empty() ? stored.string() : args.config, args.sets, "--set");
  bool external = false;
  for (const auto& o : cfg.objectives) external = external || o.kind == "external";
  if (!external)
    throw hwnas::UserError(cfg.source_file +
                           ": no objective is external ({\"external\": {}}), so there is nothing to tell; run this config with hwnas search");
  hwnas::StudyOptions so;
  so.dir = args.run_dir;
  so.resume = exists;
  so.lock_wait_s = args.wait_s;
  auto study = std::make_unique<hwnas::Study>(cfg, so);
  for (const auto& w : study->warnings()) std::cerr << w << "\n";
  return study;
}

std::string fmt(double v) { return nlohmann::json(v).dump(); }

nlohmann::json trial_json(const hwnas::Study& study, const hwnas::Trial& t) {
  nlohmann::json cheap = nlohmann::json::object();
  const auto& cfg = study.config();
  for (std::size_t i = 0; i < cfg.objectives.size(); ++i)
    if (cfg.objectives[i].cheap) cheap[cfg.objectives[i].name] = t.cheap.raw[i];
  nlohmann::json j = {{"id", t.id}, {"arch", t.text}, {"decisions", t.arch.choices}, {"hash", hwnas::hash_hex(t.hash)}, {"cheap", cheap}};
  if (t.fidelity > 0) j["fidelity"] = t.fidelity, j["from_fidelity"] = t.from_fidelity;  // a scheduler's trial
  return j;
}

struct AskArgs : StudyArgs {
  long long n = 1;
  bool json = false;
  bool pending = false;
};

void run_ask(const AskArgs& args) {
  if (args.n < 1 || args.n > static_cast<long long>(hwnas::Study::kMaxAsk))
    throw hwnas::UserError("--n " + std::to_string(args.n) + ": expected 1 to " + std::to_string(hwnas::Study::kMaxAsk));
  auto study = open_study(args, !args.pending);
  std::vector<hwnas::Trial> trials;
  if (args.pending) {
    trials = study->pending();
  } else {
    hwnas::Study::Asked asked = study->ask(static_cast<std::size_t>(args.n));
    trials = std::move(asked.trials);
    study->write_front(false);
    if (trials.size() < static_cast<std::size_t>(args.n))
      std::cerr << "hwnas ask: " << trials.size() << " of " << args.n << " trials: "
                << (asked.exhausted  ? std::string("the search space is exhausted")
                    : asked.stalled ? std::string("the strategy kept proposing architectures the run has")
                    : asked.waiting ? "the scheduler waits for the " + std::to_string(study->counts().pending) +
                                          " pending trial(s) of a rung: tell them first"
                                    : "the evaluation budget is spent (" + std::to_string(study->counts().evaluations) +
                                          " evaluations, " + std::to_string(study->counts().pending) + " pending)")
                << "\n";
  }
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : trials) list.push_back(trial_json(*study, t));
    std::cout << list.dump(2) << "\n";
    return;
  }
  const auto& cfg = study->config();
  for (const auto& t : trials) {
    std::cout << t.id << "\t" << t.text;
    if (t.fidelity > 0) std::cout << "\tfidelity=" << t.fidelity << "\tfrom_fidelity=" << t.from_fidelity;
    for (std::size_t i = 0; i < cfg.objectives.size(); ++i)
      if (cfg.objectives[i].cheap) std::cout << "\t" << cfg.objectives[i].name << "=" << fmt(t.cheap.raw[i]);
    std::cout << "\n";
  }
}

struct TellArgs : StudyArgs {
  long long id = -1;
  std::vector<std::string> values;
  std::string failed;
  bool has_failed = false;
};

double parse_number(const std::string& text, const std::string& what) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty()) throw hwnas::UserError(what + ": expected NAME=NUMBER, e.g. acc=0.93");
  return v;
}

void run_tell(const TellArgs& args) {
  if (args.values.empty() == !args.has_failed)
    throw hwnas::UserError(args.values.empty() ? "give the trial's values (--value NAME=NUMBER, one per external objective) or --failed REASON"
                                               : "--value and --failed exclude each other: a trial either has values or failed");
  std::map<std::string, double> values;
  for (const auto& v : args.values) {
    const auto eq = v.find('=');
    const std::string what = "--value " + v;
    if (eq == std::string::npos || eq == 0) throw hwnas::UserError(what + ": expected NAME=NUMBER, e.g. acc=0.93");
    const std::string name = v.substr(0, eq);
    if (!values.emplace(name, parse_number(v.substr(eq + 1), what)).second)
      throw hwnas::UserError(what + ": '" + name + "' is given twice");
  }
  auto study = open_study(args, false);
  const hwnas::EvaluationRecord rec = args.has_failed ? study->tell_failed(args.id, args.failed) : study->tell_values(args.id, values);
  study->write_front(false);
  const std::string status = hwnas::to_string(rec.status) + (rec.message.empty() ? "" : " (" + rec.message + ")");
  std::cout << "trial " << args.id << ": " << status << "; " << study->counts().evaluations << " evaluations, "
            << study->counts().pending << " pending, front " << study->front_size() << "\n";
}

void add_study_options(CLI::App* cmd, StudyArgs& a) {
  cmd->add_option("run_dir", a.run_dir, "the run directory")->required();
  cmd->add_option("--wait", a.wait_s, "seconds to wait for another ask/tell on this run to finish")->capture_default_str();
}

void setup_ask(CLI::App& root) {
  auto args = std::make_shared<AskArgs>();
  CLI::App* cmd = root.add_subcommand("ask", "Propose architectures for a run whose external objectives you evaluate (docs/ask_tell.md)");
  add_study_options(cmd, *args);
  cmd->add_option("--config", args->config, "the search config; needed on first use, which creates the run");
  cmd->add_option("--set", args->sets, "override a field of --config by JSON path, as in hwnas search; repeatable");
  cmd->add_option("--n", args->n, "how many trials to ask for")->capture_default_str();
  cmd->add_flag("--json", args->json, "print a JSON list of trials: id, arch, decisions, hash, cheap objectives");
  cmd->add_flag("--pending", args->pending, "list the trials asked and not yet told, instead of asking");
  cmd->callback([args] { run_ask(*args); });
}

void setup_tell(CLI::App& root) {
  auto args = std::make_shared<TellArgs>();
  CLI::App* cmd = root.add_subcommand("tell", "Record the external objective values (or the failure) of a trial");
  add_study_options(cmd, *args);
  cmd->add_option("--id", args->id, "the trial's id, as hwnas ask printed it")->required();
  cmd->add_option("--value", args->values, "NAME=NUMBER for each external objective, e.g. --value acc=0.931");
  cmd->add_option("--failed", args->failed, "the trial failed, for this reason (logged)")
      ->each([args](const std::string&) { args->has_failed = true; });
  cmd->callback([args] { run_tell(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_ask);
HWNAS_COMMAND(setup_tell);
