// hwnas scaling fit | powerlaw | doubling: how compute grows with model size and with time.
// Thin: parse the arguments, call hwnas/analysis, print.
#include <iostream>
#include <memory>
#include <sstream>

#include "command.h"
#include "hwnas/analysis/data_table.h"
#include "hwnas/analysis/doubling.h"
#include "hwnas/analysis/powerlaw.h"
#include "hwnas/analysis/scaling_fit.h"
#include "hwnas/core/error.h"

namespace {

namespace an = hwnas::analysis;

struct ScalingArgs {
  std::string data, y, x, by, date, split_multi = "first", breaks;
  std::vector<std::string> where;
  bool log = false, robust = false, json = false;
  int bootstrap = 1000;
  std::uint64_t seed = 0;
};

hwnas::CsvTable load(const std::string& path) {
  an::DataTable d = an::read_data_table(path);
  for (const auto& w : d.warnings) std::cerr << "warning: " << w << "\n";
  return std::move(d.table);
}

std::vector<an::WhereFilter> filters(const std::vector<std::string>& where) {
  std::vector<an::WhereFilter> out;
  for (const auto& w : where) out.push_back(an::WhereFilter::parse(w, "--where"));
  return out;
}

void run_fit(const ScalingArgs& a) {
  an::ScalingFitOptions o;
  o.y = a.y;
  o.x = a.x;
  o.by = a.by;
  o.log = a.log;
  o.robust = a.robust;
  o.where = filters(a.where);
  o.split_multi = an::parse_split_multi(a.split_multi, "--split-multi");
  o.spelling = hwnas::cli::flag_of;
  o.validate("scaling fit");
  const an::ScalingFit fit = an::fit_scaling(load(a.data), o);
  if (a.json)
    std::cout << fit.to_json().dump(2) << "\n";
  else
    std::cout << fit.report();
}

void run_powerlaw(const ScalingArgs& a) {
  an::PowerLawOptions o;
  o.y = a.y;
  o.x = a.x;
  o.bootstrap = a.bootstrap;
  o.seed = a.seed;
  o.where = filters(a.where);
  o.spelling = hwnas::cli::flag_of;
  o.validate("scaling powerlaw");
  const an::PowerLawFit f = an::fit_power_law(load(a.data), o);
  if (a.json)
    std::cout << f.to_json().dump(2) << "\n";
  else
    std::cout << f.brief();
}

void run_doubling(const ScalingArgs& a) {
  an::DoublingOptions o;
  o.y = a.y;
  o.date = a.date;
  std::stringstream ss(a.breaks);
  for (std::string b; std::getline(ss, b, ',');)
    if (!an::trim(b).empty()) o.breaks.emplace_back(an::trim(b));
  o.where = filters(a.where);
  o.spelling = hwnas::cli::flag_of;
  o.validate("scaling doubling");
  const an::DoublingResult d = an::doubling_times(load(a.data), o);
  if (a.json)
    std::cout << d.to_json().dump(2) << "\n";
  else
    std::cout << d.brief();
}

void add_common(CLI::App* cmd, ScalingArgs& a) {
  cmd->add_option("data", a.data, "a CSV file, or a search run's evaluations.jsonl (nested fields as a.b columns)")
      ->required();
  cmd->add_option("--where", a.where,
                  "keep only rows whose column equals VALUE (COL=VALUE; repeatable: different columns must all match, "
                  "several values of one column are alternatives)")
      ->allow_extra_args(false);
  cmd->add_flag("--json", a.json, "print one JSON object");
}

void setup_scaling(CLI::App& root) {
  auto args = std::make_shared<ScalingArgs>();
  CLI::App* scaling = root.add_subcommand("scaling", "Scaling analyses: how compute grows with model size and over time");
  scaling->require_subcommand(1);

  CLI::App* fit = scaling->add_subcommand(
      "fit", "OLS of y on x, optionally per category with treatment coding: y = b0 + b1 x + b2 D + b3 x D");
  add_common(fit, *args);
  fit->add_option("--y", args->y, "column of the response, e.g. FLOPs")->required();
  fit->add_option("--x", args->x, "column of the regressor, e.g. Parameters")->required();
  fit->add_option("--by", args->by,
                  "categorical column: one dummy and one x interaction per level; the alphabetically first level is "
                  "the reference (terms named as statsmodels: Domain[T.Vision], Parameters:Domain[T.Vision])");
  fit->add_flag("--log", args->log,
                "log10 both y and x (the slope is then an elasticity: % more y per 1% more x); rows with a value <= 0 "
                "are dropped and counted");
  fit->add_flag("--robust", args->robust,
                "HC1 heteroskedasticity-consistent standard errors, with normal-distribution p-values and intervals "
                "(as statsmodels' cov_type='HC1')");
  fit->add_option("--split-multi", args->split_multi,
                  "a --by cell naming several comma-separated categories (\"Vision,Language\"): first = keep the row "
                  "under its first category, drop = drop the row (counted), explode = one row per category")
      ->capture_default_str();
  fit->footer(
      "Rows whose x or y is empty/NA (missing) or not a number are dropped and counted; the counts are printed.\n"
      "Example: hwnas scaling fit models.csv --y FLOPs --x Parameters --by Domain --log --robust");
  fit->callback([args] { run_fit(*args); });

  CLI::App* pl = scaling->add_subcommand("powerlaw", "Fit y = a * x^b (least squares on log10) with bootstrap intervals");
  add_common(pl, *args);
  pl->add_option("--y", args->y, "column of y")->required();
  pl->add_option("--x", args->x, "column of x")->required();
  pl->add_option("--bootstrap", args->bootstrap, "resamples for the 95% percentile intervals of a and b (0 = none)")
      ->capture_default_str();
  pl->add_option("--seed", args->seed, "seed of the bootstrap resampling")->capture_default_str();
  pl->footer("Example: hwnas scaling powerlaw runs/q/evaluations.jsonl --y objectives.flops --x objectives.params");
  pl->callback([args] { run_powerlaw(*args); });

  CLI::App* dbl = scaling->add_subcommand("doubling", "Doubling time of y in months, per era, from log2 y over time");
  add_common(dbl, *args);
  dbl->add_option("--y", args->y, "column of the growing quantity")->required();
  dbl->add_option("--date", args->date, "column of dates: YYYY-MM-DD, YYYY-MM or decimal years")->required();
  dbl->add_option("--breaks", args->breaks, "comma-separated era boundaries, e.g. 2010-01-01,2015-09-01");
  dbl->footer(
      "Doubling months = 12 / slope of log2 y per year; the 95% interval comes from the slope's t interval and is\n"
      "unbounded on one side when that interval includes 0 (no growth). A negative doubling time is a halving time.\n"
      "Example: hwnas scaling doubling models.csv --y FLOPs --date Date --breaks 2010-01-01");
  dbl->callback([args] { run_doubling(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_scaling);
