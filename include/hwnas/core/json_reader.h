#pragma once
// Strict JSON reading into typed option structs. Every key read is remembered; finish() rejects
// keys that were never read, so a typo in a config is an error, not a silently ignored option.
// Errors are UserError naming the JSON path, e.g. `config.json: strategy.options.population:
// expected a positive integer, got "ten"`.
//
// Example:
//   JsonReader r(j, "config.json: space.options");
//   int c = r.get<int>("C", 16);             // optional with default
//   auto widths = r.get<std::vector<int>>("widths", {24, 40});
//   r.finish();                              // unknown keys -> UserError
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"

namespace hwnas {

/// Human-readable JSON type name ("string", "integer", "number", ...).
std::string json_type_name(const nlohmann::json& j);

class JsonReader {
 public:
  /// `path` is the prefix used in error messages; the value must be an object (or null = empty).
  JsonReader(const nlohmann::json& j, std::string path);

  bool has(const std::string& key) const;
  /// Optional field; returns `fallback` when absent. Wrong type -> UserError naming the path.
  template <class T>
  T get(const std::string& key, T fallback) {
    const nlohmann::json* v = lookup(key);
    if (!v) return fallback;
    return convert<T>(*v, child(key));
  }
  /// Required field.
  template <class T>
  T require(const std::string& key) {
    const nlohmann::json* v = lookup(key);
    if (!v) fail_missing(key);
    return convert<T>(*v, child(key));
  }
  /// Raw sub-value (marks it read); nullptr when absent.
  const nlohmann::json* raw(const std::string& key) { return lookup(key); }
  /// Path of a child key, for nested readers and messages.
  std::string child(const std::string& key) const { return path_ + (path_.empty() || path_.back() == ' ' ? "" : ".") + key; }
  const std::string& path() const { return path_; }
  /// Throws UserError if the object holds keys that were never read.
  void finish() const;

  /// For tests of the options structs: while set (on this thread), every key any reader looks up
  /// is reported with that reader's path, present in the JSON or not, so a test can list the keys
  /// a from_json knows and compare them with what its to_json writes. nullptr stops it.
  using LookupObserver = std::function<void(const std::string& path, const std::string& key)>;
  static void observe_lookups(const LookupObserver* observer);

  template <class T>
  static T convert(const nlohmann::json& v, const std::string& path);
  [[noreturn]] static void fail(const std::string& path, const std::string& expected, const nlohmann::json& got);

 private:
  const nlohmann::json* lookup(const std::string& key);
  [[noreturn]] void fail_missing(const std::string& key) const;

  const nlohmann::json& j_;
  std::string path_;
  std::set<std::string> read_;
};

template <>
int JsonReader::convert<int>(const nlohmann::json& v, const std::string& path);
template <>
long long JsonReader::convert<long long>(const nlohmann::json& v, const std::string& path);
template <>
double JsonReader::convert<double>(const nlohmann::json& v, const std::string& path);
template <>
bool JsonReader::convert<bool>(const nlohmann::json& v, const std::string& path);
template <>
std::string JsonReader::convert<std::string>(const nlohmann::json& v, const std::string& path);
template <>
std::vector<int> JsonReader::convert<std::vector<int>>(const nlohmann::json& v, const std::string& path);
template <>
std::vector<double> JsonReader::convert<std::vector<double>>(const nlohmann::json& v, const std::string& path);
template <>
std::vector<std::string> JsonReader::convert<std::vector<std::string>>(const nlohmann::json& v,
                                                                       const std::string& path);

/// Limits of the one JSON entry point: deeper nesting or a larger document is refused before any
/// recursion could run out of stack (nlohmann's dump() and copies recurse per level).
inline constexpr std::size_t kMaxJsonDepth = 256;
inline constexpr std::size_t kMaxJsonBytes = 64u << 20;  // 64 MiB

/// The one way hwnas parses JSON text (files, log lines, command-line options). Strict: a syntax
/// error or a number out of range is a UserError naming `source`, line and column; a duplicate key,
/// nesting deeper than kMaxJsonDepth or text larger than kMaxJsonBytes is a UserError naming
/// `source` and the JSON path. Nothing reaches an internal error. `first_line` is the line number of
/// the text's first line in `source` (a line of a JSONL file).
///
/// Example:
///   nlohmann::json j = parse_json(R"({"seed": 3})", "--space-options");
///   nlohmann::json r = parse_json(line, "runs/x/evaluations.jsonl", 12);  // errors say ...jsonl:12:COL
nlohmann::json parse_json(std::string_view text, const std::string& source, std::size_t first_line = 1);
/// The same, keeping keys in document order (tables whose column order matters).
nlohmann::ordered_json parse_ordered_json(std::string_view text, const std::string& source, std::size_t first_line = 1);

/// Reads a JSON file through parse_json; a missing file is a UserError naming it.
nlohmann::json read_json_file(const std::string& path);

/// Applies one command-line override "PATH=VALUE" to `doc` (`hwnas search --set`). PATH is a
/// JSON path of object keys and array indices, `budget.evaluations` or `objectives[1].log`
/// (`objectives.1.log` works too); missing objects on the way are created. VALUE is JSON when it
/// parses as JSON (`3`, `true`, `[1,2]`, `"3"`), else a string (`--set strategy.name=random`).
/// A malformed assignment, an index out of range, or a key into a number or string is a
/// UserError naming `flag` and the assignment.
///
/// Example:
///   apply_json_override(cfg, "budget.evaluations=200", "--set");
void apply_json_override(nlohmann::json& doc, const std::string& assignment, const std::string& flag);

}  // namespace hwnas
