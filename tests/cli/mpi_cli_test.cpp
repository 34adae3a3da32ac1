// `mpirun --oversubscribe -np N hwnas search` on this machine: the synchronous front equals the
// single-process one byte for byte; a bad config exits 2 with one message; an evaluator killed
// mid-run loses no finished evaluation, and --resume under mpirun with another N reaches the
// uninterrupted front.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

#include "support/cli.h"
#include "support/paths.h"

using hwnas::test::read_text;
using hwnas::test::run_hwnas;
using hwnas::test::run_program;
using hwnas::test::scratch_dir;
using hwnas::test::write_text;
namespace fs = std::filesystem;

namespace {

const char* kMpirun = "/usr/bin/mpirun";

std::vector<std::string> mpirun(int np, const std::vector<std::string>& hwnas_args) {
  std::vector<std::string> a{"--oversubscribe", "--allow-run-as-root", "-np", std::to_string(np), HWNAS_BINARY};
  a.insert(a.end(), hwnas_args.begin(), hwnas_args.end());
  return a;
}

// params against MACs (cheap) and synflow (expensive: about 0.1 s per network, so a run lasts
// long enough to kill a rank in it).
std::string write_config(const std::string& dir, const std::string& expensive, const std::string& dispatch = "synchronous") {
  nlohmann::json j = {{"space", {{"name", "nb201"}, {"options", {{"channels", 8}, {"cells_per_stage", 1}}}}},
                      {"objectives",
                       {{{"name", "params"}, {"source", "params"}},
                        {{"name", "macs"}, {"source", "macs"}, {"direction", "maximize"}, {"log", true}}}},
                      {"strategy", {{"name", "evolution"}, {"options", {{"population", 8}, {"sample_size", 3}}}}},
                      {"budget", {{"evaluations", 40}}},
                      {"batch_size", 4},
                      {"dispatch", dispatch},
                      {"seed", 2}};
  if (expensive == "synflow")
    j["objectives"].push_back({{"name", "synflow"}, {"source", {{"proxy", "synflow"}}}, {"direction", "maximize"}, {"log", true}});
  write_text(dir + "/search.json", j.dump(2));
  return dir + "/search.json";
}

void require_mpi() {
  ASSERT_TRUE(fs::exists(kMpirun)) << "mpirun is missing: scripts/setup.sh installs openmpi-bin";
  const auto r = run_program(kMpirun, mpirun(2, {"devices"}));
  ASSERT_EQ(r.err.find("built without MPI"), std::string::npos) << "hwnas was built without MPI: scripts/setup.sh installs libopenmpi-dev";
}

}  // namespace

TEST(CliMpi, SynchronousRunsEqualTheSingleProcessRunByteForByte) {
  require_mpi();
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir, "synflow");
  const auto one = run_hwnas({"search", cfg, "--out", dir + "/one", "--quiet"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto three = run_program(kMpirun, mpirun(3, {"search", cfg, "--out", dir + "/three", "--quiet"}));
  ASSERT_EQ(three.exit_code, 0) << three.err;
  EXPECT_EQ(three.out, one.out);
  EXPECT_EQ(read_text(dir + "/three/pareto.json"), read_text(dir + "/one/pareto.json"));
  EXPECT_EQ(read_text(dir + "/three/pareto.csv"), read_text(dir + "/one/pareto.csv"));
  EXPECT_TRUE(fs::exists(dir + "/three/report.html"));
}

TEST(CliMpi, AsynchronousRunsSpendTheBudgetAndReplayFromTheirJournal) {
  require_mpi();
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir, "synflow", "asynchronous");
  const auto r = run_program(kMpirun, mpirun(3, {"search", cfg, "--out", dir + "/run", "--quiet"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("stopped: evaluation budget reached; 40 evaluations", 0), 0u) << r.out;
  // Resumed with a larger budget, without MPI: every logged evaluation replays from the journal.
  const auto more = run_hwnas({"search", cfg, "--resume", dir + "/run", "--set", "budget.evaluations=44"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(more.err.find("were not proposed again"), std::string::npos) << more.err;
  EXPECT_NE(more.out.find("replayed from the log 40"), std::string::npos) << more.out;
}

TEST(CliMpi, ABadConfigExitsWith2OnEveryRankWithOneMessage) {
  require_mpi();
  const std::string dir = scratch_dir();
  write_text(dir + "/bad.json", R"({"space": {"name": "nb201"}, "objectives": [], "budget": {"evaluations": 3}})");
  const auto r = run_program(kMpirun, mpirun(3, {"search", dir + "/bad.json"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(hwnas::test::count_of(r.err, "error: "), 1u) << r.err;
  EXPECT_NE(r.err.find("objectives: expected a non-empty array of objectives"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Exit code:    2"), std::string::npos) << r.err;  // mpirun reports the ranks' code
}

TEST(CliMpi, AKilledEvaluatorLosesNothingAndResumeUnderMpiReachesTheSameFront) {
  require_mpi();
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir, "synflow");
  const auto whole = run_hwnas({"search", cfg, "--out", dir + "/whole", "--quiet"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  // Start under mpirun, wait for 12 logged evaluations, kill -9 evaluator rank 1.
  const std::string run = dir + "/run";
  const std::string script =
      std::string(kMpirun) + " --oversubscribe --allow-run-as-root -np 3 " + HWNAS_BINARY + " search " + cfg + " --out " + run +
      " --quiet > " + dir + "/mpi.out 2> " + dir + "/mpi.err & mp=$!\n"
      "for i in $(seq 1 1200); do n=$(cat " + run + "/evaluations.jsonl 2>/dev/null | wc -l); [ \"$n\" -ge 12 ] && break; sleep 0.05; done\n"
      "killed=0; for p in $(pgrep -f 'search " + cfg + "'); do\n"
      "  if tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then kill -9 $p && killed=1; fi\n"
      "done\n"
      "wait $mp; echo \"mpirun=$? killed=$killed logged=$(wc -l < " + run + "/evaluations.jsonl)\"\n";
  const auto k = run_program("/bin/sh", {"-c", script});
  ASSERT_NE(k.out.find("killed=1"), std::string::npos) << k.out << k.err;
  EXPECT_EQ(k.out.find("mpirun=0"), std::string::npos) << k.out;  // the job was aborted
  // Every record logged before the kill is intact and is kept by the resumed run.
  std::string cut = read_text(run + "/evaluations.jsonl");
  cut = cut.substr(0, cut.rfind('\n') + 1);  // a line cut short by the abort is not a record
  const auto resumed = run_program(kMpirun, mpirun(2, {"search", cfg, "--resume", run, "--quiet"}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(read_text(run + "/evaluations.jsonl").substr(0, cut.size()), cut);
  EXPECT_EQ(read_text(run + "/pareto.json"), read_text(dir + "/whole/pareto.json"));
  EXPECT_EQ(resumed.out.rfind("stopped: evaluation budget reached; 40 evaluations", 0), 0u) << resumed.out;
}

// Multi-fidelity under mpirun: trials carry their fidelity to the evaluator ranks and results
// their cost, so the run equals the single-process one (synchronous dispatch). The learning-curve
// table is made from `hwnas enumerate`: accuracy rises with the steps, at a rate that depends on
// the architecture.
TEST(CliMpi, MultiFidelityRunsEqualTheSingleProcessRun) {
  require_mpi();
  const std::string dir = scratch_dir();
  const auto e = run_hwnas({"enumerate", "--out", dir + "/all.csv"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::istringstream in(read_text(dir + "/all.csv"));
  std::string line, table = "arch_str,steps,acc\n";
  std::getline(in, line);  // arch_str,params,...
  for (int i = 0; std::getline(in, line); ++i) {
    const std::string arch = line.substr(0, line.find(','));
    const double params = std::stod(line.substr(line.find(',') + 1));
    for (int f : {4, 8, 16})
      table += arch + "," + std::to_string(f) + "," + std::to_string(1.0 - 1.0 / (1.0 + 1e-6 * params * f * (1 + i % 5))) + "\n";
  }
  write_text(dir + "/curves.csv", table);
  nlohmann::json j = {{"space", {{"name", "nb201"}}},
                      {"objectives",
                       {{{"name", "acc"}, {"source", {{"table", {{"file", "curves.csv"}, {"value", "acc"}, {"fidelity", "steps"}}}}}, {"direction", "maximize"}},
                        {{"name", "params"}, {"source", "params"}, {"log", true}}}},
                      {"scheduler", {{"name", "asha"}, {"min_fidelity", 4}, {"eta", 2}}},
                      {"strategy", {{"name", "evolution"}, {"options", {{"population", 8}, {"sample_size", 3}}}}},
                      {"budget", {{"steps", 300}}},
                      {"batch_size", 4},
                      {"seed", 3}};
  write_text(dir + "/mf.json", j.dump(2));
  const auto one = run_hwnas({"search", dir + "/mf.json", "--out", dir + "/one", "--quiet"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out.rfind("stopped: step budget reached", 0), 0u) << one.out;
  const auto three = run_program(kMpirun, mpirun(3, {"search", dir + "/mf.json", "--out", dir + "/three", "--quiet"}));
  ASSERT_EQ(three.exit_code, 0) << three.err;
  EXPECT_EQ(three.out, one.out);
  EXPECT_EQ(read_text(dir + "/three/pareto.json"), read_text(dir + "/one/pareto.json"));
  auto strip = [](const std::string& log) {
    std::istringstream s(log);
    std::string out;
    for (std::string l; std::getline(s, l);) {
      auto r = nlohmann::json::parse(l);
      r.erase("elapsed_s");
      r.erase("eval_s");
      out += r.dump() + "\n";
    }
    return out;
  };
  const std::string log = strip(read_text(dir + "/three/evaluations.jsonl"));
  EXPECT_EQ(log, strip(read_text(dir + "/one/evaluations.jsonl")));
  EXPECT_NE(log.find("\"fidelity\":16"), std::string::npos);
  EXPECT_NE(log.find("\"cost\":8.0,\"decisions\""), std::string::npos);  // a promotion from 8 to 16
}
