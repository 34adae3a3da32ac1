#include "hwnas/search/run_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "hwnas/core/atomic_file.h"
#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/jsonl.h"
#include "hwnas/core/read_file.h"
#include "hwnas/nas/architecture.h"
#include "hwnas/search/config.h"

namespace hwnas {

namespace fs = std::filesystem;

std::string to_string(EvalStatus s) {
  switch (s) {
    case EvalStatus::Ok: return "ok";
    case EvalStatus::Failed: return "failed";
    case EvalStatus::Rejected: return "rejected";
  }
  return "?";
}

nlohmann::json EvaluationRecord::to_json(const std::vector<std::string>& names) const {
  nlohmann::json objs = nlohmann::json::object();
  for (std::size_t i = 0; i < names.size() && i < raw.size(); ++i)
    if (std::isfinite(raw[i])) objs[names[i]] = raw[i];
  nlohmann::json j = {{"id", id},           {"arch", arch},         {"decisions", decisions},  {"hash", hash_hex(hash)},
                      {"status", hwnas::to_string(status)}, {"message", message}, {"objectives", objs}, {"elapsed_s", elapsed_s}};
  if (degenerate) j["degenerate"] = true;
  if (fidelity > 0) j["fidelity"] = fidelity;
  if (cost > 0) j["cost"] = cost;
  if (eval_s > 0) j["eval_s"] = eval_s;
  return j;
}

EvaluationRecord EvaluationRecord::from_json(const nlohmann::json& j, const std::vector<std::string>& names,
                                             const std::string& where) {
  EvaluationRecord r;
  JsonReader x(j, where);
  r.id = x.require<long long>("id");
  r.arch = x.require<std::string>("arch");
  r.decisions = x.require<std::vector<int>>("decisions");
  const std::string h = x.require<std::string>("hash");
  try {
    std::size_t used = 0;
    r.hash = std::stoull(h, &used, 16);
    if (used != h.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    throw UserError(x.child("hash") + ": expected 16 hexadecimal digits, got \"" + h + "\"");
  }
  const std::string st = x.require<std::string>("status");
  if (st == "ok") r.status = EvalStatus::Ok;
  else if (st == "failed") r.status = EvalStatus::Failed;
  else if (st == "rejected") r.status = EvalStatus::Rejected;
  else throw UserError(x.child("status") + ": expected \"ok\", \"failed\" or \"rejected\", got \"" + st + "\"");
  r.message = x.get<std::string>("message", "");
  r.raw.assign(names.size(), NAN);
  if (const auto* objs = x.raw("objectives")) {
    JsonReader o(*objs, x.child("objectives"));
    for (std::size_t i = 0; i < names.size(); ++i)
      if (o.has(names[i])) r.raw[i] = o.require<double>(names[i]);
    o.finish();  // a name this config does not have: the log belongs to another config
  }
  r.elapsed_s = x.get<double>("elapsed_s", 0.0);
  r.degenerate = x.get<bool>("degenerate", false);
  r.fidelity = x.get<int>("fidelity", 0);
  if (r.fidelity < 0) throw UserError(x.child("fidelity") + ": expected a positive integer, got " + std::to_string(r.fidelity));
  r.cost = x.get<double>("cost", 0.0);
  if (!(r.cost >= 0) || !std::isfinite(r.cost)) throw UserError(x.child("cost") + ": expected a non-negative number");
  r.eval_s = x.get<double>("eval_s", 0.0);
  if (!(r.eval_s >= 0) || !std::isfinite(r.eval_s)) throw UserError(x.child("eval_s") + ": expected a non-negative number");
  x.finish();
  if (r.status == EvalStatus::Ok)
    for (std::size_t i = 0; i < names.size(); ++i)
      if (std::isnan(r.raw[i])) throw UserError(where + ": status ok but objective '" + names[i] + "' is missing");
  return r;
}

LogContents read_evaluation_log(const std::string& path, const std::vector<std::string>& names) {
  LogContents out;
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec)))
    throw UserError(path + ": is a symbolic link; a run's log must be a file inside the run directory");
  if (!fs::exists(path, ec)) return out;  // no log yet: nothing finished
  return parse_evaluation_log(read_whole_file(path), path, names);
}

LogContents parse_evaluation_log(const std::string& text, const std::string& path, const std::vector<std::string>& names) {
  LogContents out;
  const JsonlText t = parse_jsonl(text, path, " (a malformed evaluation record; the log is damaged)");
  std::map<std::int64_t, int> id_line;
  for (const JsonlLine& l : t.lines) {
    const std::string where = path + ":" + std::to_string(l.line);
    out.records.push_back(EvaluationRecord::from_json(l.value, names, where));
    const auto [it, fresh] = id_line.emplace(out.records.back().id, l.line);
    if (!fresh)
      throw UserError(where + ": duplicate id " + std::to_string(it->first) + " (also on line " +
                      std::to_string(it->second) +
                      "): two processes wrote this log, or it was edited; refusing to use it");
    out.lines.push_back(static_cast<std::size_t>(l.line));
  }
  out.valid_bytes = t.valid_bytes;
  // A write cut short: the evaluation never counted. It is evaluated again.
  if (t.cut_bytes > 0)
    out.warnings.push_back(path + ":" + std::to_string(t.cut_line) + ": ignoring a truncated last line (" +
                           std::to_string(t.cut_bytes) + " bytes; the run was probably killed while writing it)");
  return out;
}

RunStore::RunStore(std::string dir, std::vector<std::string> names) : dir_(std::move(dir)), names_(std::move(names)) {}

RunStore::RunStore(RunStore&& o) noexcept
    : dir_(std::move(o.dir_)),
      names_(std::move(o.names_)),
      log_(o.log_),
      journal_(o.journal_),
      lock_fd_(o.lock_fd_),
      deferred_(o.deferred_),
      log_dirty_(o.log_dirty_),
      journal_dirty_(o.journal_dirty_) {
  o.log_ = nullptr;
  o.journal_ = nullptr;
  o.lock_fd_ = -1;
}

RunStore& RunStore::operator=(RunStore&& o) noexcept {
  if (this != &o) {
    if (log_) std::fclose(log_);
    if (journal_) std::fclose(journal_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
    dir_ = std::move(o.dir_);
    names_ = std::move(o.names_);
    log_ = o.log_;
    journal_ = o.journal_;
    lock_fd_ = o.lock_fd_;
    deferred_ = o.deferred_;
    log_dirty_ = o.log_dirty_;
    journal_dirty_ = o.journal_dirty_;
    o.log_ = nullptr;
    o.journal_ = nullptr;
    o.lock_fd_ = -1;
  }
  return *this;
}

RunStore::~RunStore() {
  // Deferred lines are flushed already; make them durable too (best effort: no throw here).
  if (log_ && log_dirty_) ::fsync(::fileno(log_));
  if (journal_ && journal_dirty_) ::fsync(::fileno(journal_));
  if (log_) std::fclose(log_);
  if (journal_) std::fclose(journal_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string RunFiles::config(const std::string& dir) { return (fs::path(dir) / "config.json").string(); }
std::string RunFiles::log(const std::string& dir) { return (fs::path(dir) / "evaluations.jsonl").string(); }
std::string RunFiles::journal(const std::string& dir) { return (fs::path(dir) / "trials.jsonl").string(); }
std::string RunFiles::front_json(const std::string& dir) { return (fs::path(dir) / "pareto.json").string(); }
std::string RunFiles::front_csv(const std::string& dir) { return (fs::path(dir) / "pareto.csv").string(); }
std::string RunFiles::report(const std::string& dir) { return (fs::path(dir) / "report.html").string(); }
std::vector<std::string> RunFiles::written(const std::string& dir) {
  return {log(dir), journal(dir), front_json(dir), front_csv(dir), report(dir)};
}

std::string RunStore::log_path() const { return RunFiles::log(dir_); }
std::string RunStore::journal_path() const { return RunFiles::journal(dir_); }

namespace {
std::vector<std::string> names_of(const SearchConfig& cfg) {
  std::vector<std::string> n;
  for (const auto& o : cfg.objectives) n.push_back(o.name);
  return n;
}
}  // namespace

namespace {
std::FILE* open_for_appending(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    throw UserError(path + ": cannot open for appending: " +
                    (errno == ELOOP ? std::string("it is a symbolic link") : std::strerror(errno)));
  std::FILE* f = ::fdopen(fd, "ab");
  if (!f) {
    ::close(fd);
    throw UserError(path + ": cannot open for appending: " + std::strerror(errno));
  }
  return f;
}

void sync_file(std::FILE* f, const std::string& path) {
  if (::fsync(::fileno(f)) != 0) throw UserError(path + ": fsync failed: " + std::strerror(errno));
}

// Appends one line and flushes it to the operating system; makes it durable (fsync) unless the
// caller syncs later (`dirty` is then set).
void append_line(std::FILE* f, const std::string& path, const std::string& line, bool deferred, bool& dirty) {
  if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fflush(f) != 0)
    throw UserError(path + ": write failed: " + std::strerror(errno));
  if (deferred) dirty = true;
  else sync_file(f, path);
}
}  // namespace

void RunStore::open_log() { log_ = open_for_appending(log_path()); }

void RunStore::defer_sync(bool on) {
  if (!on) sync();
  deferred_ = on;
}

void RunStore::sync() {
  if (log_dirty_ && log_) sync_file(log_, log_path());
  log_dirty_ = false;
  if (journal_dirty_ && journal_) sync_file(journal_, journal_path());
  journal_dirty_ = false;
}

void RunStore::lock(double wait_s) {
  const std::string path = (fs::path(dir_) / ".lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    throw UserError(path + ": cannot open the run's lock file: " +
                    (errno == ELOOP ? std::string("it is a symbolic link") : std::strerror(errno)));
  // Callers that take turns (hwnas ask/tell) wait for the holder, polling; a search does not.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::max(0.0, wait_s));
  int rc;
  while ((rc = ::flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EWOULDBLOCK && std::chrono::steady_clock::now() < deadline)
    ::usleep(20000);
  if (rc != 0) {
    const int err = errno;
    char buf[32] = {0};
    // The holder writes its pid right after it takes the lock: give it a moment to do so.
    ssize_t n = 0;
    for (int tries = 0; tries < 100 && (n = ::pread(fd, buf, sizeof buf - 1, 0)) <= 0; ++tries) ::usleep(2000);
    ::close(fd);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    if (err == EWOULDBLOCK)
      throw UserError(dir_ + ": another hwnas process" + (pid.empty() ? "" : " (pid " + pid + ")") +
                      " is writing this run; wait for it to finish, or stop it first");
    throw UserError(path + ": cannot lock: " + std::strerror(err));
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw UserError(path + ": cannot write the lock file: " + why);
  }
  lock_fd_ = fd;
}

std::string RunStore::checkpoint_dir(const std::string& dir) { return (fs::path(dir) / "checkpoints").string(); }

RunStore RunStore::create(const std::string& dir, const SearchConfig& cfg, bool replace, double lock_wait_s) {
  RunStore s(dir, names_of(cfg));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UserError(dir + ": cannot create the run directory: " + ec.message());
  s.lock(lock_wait_s);  // before looking: two processes started at once must not both see an empty folder
  const auto log_status = fs::symlink_status(s.log_path(), ec);
  if (fs::is_symlink(log_status))
    throw UserError(s.log_path() + ": is a symbolic link; a run's log must be a file inside the run directory");
  if (fs::exists(log_status) && fs::file_size(s.log_path(), ec) > 0 && !replace)
    throw UserError(dir + ": holds an earlier run (evaluations.jsonl); continue it with --resume " + dir +
                    ", replace it with --force, or write elsewhere with --out DIR (or another output.name)");
  // The files a run writes (README, Run directory); with `replace` the earlier run's go first.
  for (const std::string& f : RunFiles::written(dir)) {
    fs::remove(f, ec);
    if (ec) throw UserError(f + ": cannot remove the earlier run's file: " + ec.message());
  }
  if (replace) {
    fs::remove_all(fs::path(dir) / "archs", ec);
    if (ec) throw UserError((fs::path(dir) / "archs").string() + ": cannot remove the earlier run's exports: " + ec.message());
  }
  fs::remove_all(checkpoint_dir(dir), ec);  // a new run trains from scratch
  if (ec) throw UserError(checkpoint_dir(dir) + ": cannot remove the earlier run's checkpoints: " + ec.message());
  write_file_atomic(RunFiles::config(dir), cfg.to_json().dump(2) + "\n");
  s.open_log();  // an empty log: the run exists
  return s;
}

RunStore RunStore::resume(const std::string& dir, const SearchConfig& cfg, LogContents* log, double lock_wait_s) {
  RunStore s(dir, names_of(cfg));
  const fs::path config_path = RunFiles::config(dir);
  if (!fs::exists(config_path))
    throw UserError(dir + ": not a run directory (no config.json); cannot resume");
  s.lock(lock_wait_s);
  nlohmann::json stored = read_json_file(config_path.string());
  if (!stored.is_object()) throw UserError(config_path.string() + ": expected a JSON object");
  for (const char* k : {"budget", "parallelism", "output"}) stored.erase(k);
  const nlohmann::json mine = cfg.identity_json();
  if (stored != mine) {
    std::string differs;
    for (auto it = mine.begin(); it != mine.end(); ++it)
      if (!stored.contains(it.key()) || stored[it.key()] != it.value()) differs += (differs.empty() ? "" : ", ") + it.key();
    for (auto it = stored.begin(); it != stored.end(); ++it)
      if (!mine.contains(it.key())) differs += (differs.empty() ? "" : ", ") + it.key();
    throw UserError(dir + ": holds a run of a different config (differs in: " + differs + "); refusing to resume it with " +
                    cfg.source_file + " (only budget, parallelism and output may change)");
  }
  *log = read_evaluation_log(s.log_path(), s.names_);
  if (fs::exists(s.log_path()) && fs::file_size(s.log_path()) > log->valid_bytes) {
    // Cut the partial line off, so that new lines do not get glued to it.
    if (::truncate(s.log_path().c_str(), static_cast<off_t>(log->valid_bytes)) != 0)
      throw UserError(s.log_path() + ": cannot cut off the truncated last line: " + std::strerror(errno));
  }
  write_file_atomic(config_path.string(), cfg.to_json().dump(2) + "\n");
  s.open_log();
  return s;
}

void RunStore::append(const EvaluationRecord& r) {
  HWNAS_CHECK(log_ != nullptr, "run store is not open");
  append_line(log_, log_path(), r.to_json(names_).dump() + "\n", deferred_, log_dirty_);
}

std::vector<JournalEntry> RunStore::read_journal() {
  std::vector<JournalEntry> out;
  const std::string path = journal_path();
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec)))
    throw UserError(path + ": is a symbolic link; a run's journal must be a file inside the run directory");
  if (fs::exists(path, ec)) {
    const std::string text = read_whole_file(path);
    const JsonlText t = parse_jsonl(text, path, " (a malformed journal line; the run's journal is damaged)");
    for (const JsonlLine& l : t.lines) {
      if (!l.value.is_object()) throw UserError(path + ":" + std::to_string(l.line) + ": expected a JSON object");
      out.push_back({l.value, path + ":" + std::to_string(l.line)});
    }
    // A write cut short: that step never happened.
    if (t.valid_bytes < text.size() && ::truncate(path.c_str(), static_cast<off_t>(t.valid_bytes)) != 0)
      throw UserError(path + ": cannot cut off the truncated last line: " + std::strerror(errno));
  }
  return out;
}

void RunStore::append_journal(const nlohmann::json& entry) {
  if (!journal_) journal_ = open_for_appending(journal_path());
  append_line(journal_, journal_path(), entry.dump() + "\n", deferred_, journal_dirty_);
}

void RunStore::write_front(const std::string& json_text, const std::string& csv_text) const {
  write_file_atomic(RunFiles::front_json(dir_), json_text);
  write_file_atomic(RunFiles::front_csv(dir_), csv_text);
}

}  // namespace hwnas
