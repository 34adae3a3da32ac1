#include "hwnas/core/json_reader.h"
#include "hwnas/core/suggest.h"

#include "hwnas/core/read_file.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace hwnas {

std::string json_type_name(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "number";
    default: return "value";
  }
}

JsonReader::JsonReader(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {
  if (!j_.is_object() && !j_.is_null()) fail(path_, "an object", j_);
}

bool JsonReader::has(const std::string& key) const { return j_.is_object() && j_.contains(key); }

namespace {
thread_local const JsonReader::LookupObserver* lookup_observer = nullptr;
}  // namespace

void JsonReader::observe_lookups(const LookupObserver* observer) { lookup_observer = observer; }

const nlohmann::json* JsonReader::lookup(const std::string& key) {
  read_.insert(key);
  if (lookup_observer) (*lookup_observer)(path_, key);
  if (!j_.is_object()) return nullptr;
  auto it = j_.find(key);
  if (it == j_.end()) return nullptr;
  return &*it;
}

void JsonReader::fail_missing(const std::string& key) const {
  throw UserError(child(key) + ": required field is missing");
}

void JsonReader::fail(const std::string& path, const std::string& expected, const nlohmann::json& got) {
  std::string shown = got.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw UserError(path + ": expected " + expected + ", got " + json_type_name(got) + " " + shown);
}

void JsonReader::finish() const {
  if (!j_.is_object()) return;
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (read_.count(it.key())) continue;
    std::string known;
    for (const auto& k : read_) known += (known.empty() ? "" : ", ") + k;
    throw UserError(child(it.key()) + ": unknown key" + did_you_mean(it.key(), std::vector<std::string>(read_.begin(), read_.end())) + (known.empty() ? "" : " (expected one of: " + known + ")"));
  }
}

template <>
long long JsonReader::convert<long long>(const nlohmann::json& v, const std::string& path) {
  if (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(INT64_MAX))
    fail(path, "an integer in 64-bit range", v);
  if (v.is_number_integer() || v.is_number_unsigned()) return v.get<long long>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18) return static_cast<long long>(d);
  }
  fail(path, "an integer", v);
}

template <>
int JsonReader::convert<int>(const nlohmann::json& v, const std::string& path) {
  const long long x = convert<long long>(v, path);
  if (x < INT32_MIN || x > INT32_MAX) fail(path, "an integer in 32-bit range", v);
  return static_cast<int>(x);
}

template <>
double JsonReader::convert<double>(const nlohmann::json& v, const std::string& path) {
  if (v.is_number()) return v.get<double>();
  fail(path, "a number", v);
}

template <>
bool JsonReader::convert<bool>(const nlohmann::json& v, const std::string& path) {
  if (v.is_boolean()) return v.get<bool>();
  fail(path, "true or false", v);
}

template <>
std::string JsonReader::convert<std::string>(const nlohmann::json& v, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  fail(path, "a string", v);
}

template <class T>
static std::vector<T> convert_vector(const nlohmann::json& v, const std::string& path, const char* what) {
  if (!v.is_array()) JsonReader::fail(path, std::string("an array of ") + what, v);
  std::vector<T> out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out.push_back(JsonReader::convert<T>(v[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

template <>
std::vector<int> JsonReader::convert<std::vector<int>>(const nlohmann::json& v, const std::string& path) {
  return convert_vector<int>(v, path, "integers");
}
template <>
std::vector<double> JsonReader::convert<std::vector<double>>(const nlohmann::json& v, const std::string& path) {
  return convert_vector<double>(v, path, "numbers");
}
template <>
std::vector<std::string> JsonReader::convert<std::vector<std::string>>(const nlohmann::json& v,
                                                                       const std::string& path) {
  return convert_vector<std::string>(v, path, "strings");
}

namespace {

/// "LINE:COL" of a byte offset in `text` (1-based), for messages.
std::string line_col(std::string_view text, std::size_t byte, std::size_t first_line) {
  std::size_t line = first_line, col = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

/// SAX handler: checks depth, duplicate keys and errors, and hands every event on to nlohmann's
/// own DOM builder. nlohmann's SAX parser keeps its state on the heap, so no input can recurse.
template <class J>
class StrictSax {
 public:
  using number_integer_t = typename J::number_integer_t;
  using number_unsigned_t = typename J::number_unsigned_t;
  using number_float_t = typename J::number_float_t;
  using string_t = typename J::string_t;
  using binary_t = typename J::binary_t;

  StrictSax(J& root, std::string_view text, const std::string& source, std::size_t first_line)
      : dom_(root), text_(text), first_line_(first_line) {
    // Errors found by the SAX events carry no position: name the line when the text is one line.
    source_ = text.find('\n') == std::string_view::npos && first_line > 1 ? source + ":" + std::to_string(first_line)
                                                                         : source;
    source_pos_ = source;
  }

  bool null() { return element(), dom_.null(); }
  bool boolean(bool v) { return element(), dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return element(), dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return element(), dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) { return element(), dom_.number_float(v, s); }
  bool string(string_t& v) { return element(), dom_.string(v); }
  bool binary(binary_t& v) { return element(), dom_.binary(v); }
  bool start_object(std::size_t n) {
    enter(true);
    return dom_.start_object(n);
  }
  bool key(string_t& k) {
    Frame& f = stack_.back();
    if (!f.keys.insert(k).second)
      throw UserError(source_ + ": " + path_here(k) + ": duplicate key \"" + shorten(k) + "\"");
    f.key = k;
    return dom_.key(k);
  }
  bool end_object() {
    stack_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    enter(false);
    return dom_.start_array(n);
  }
  bool end_array() {
    stack_.pop_back();
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
    // nlohmann counts `position` in characters read: one past the offending character, or the
    // end of the offending number.
    if (e.id == 406) {
      const std::size_t start = position >= token.size() ? position - token.size() : 0;
      throw UserError(source_pos_ + ":" + line_col(text_, start, first_line_) + ": number out of range: " + shorten(token));
    }
    const std::string where = source_pos_ + ":" + line_col(text_, position > 0 ? position - 1 : 0, first_line_);
    std::string what = e.what();
    const auto pos = what.find("syntax error");
    if (pos != std::string::npos) what = what.substr(pos);
    throw UserError(where + ": invalid JSON: " + what);
  }

 private:
  struct Frame {
    bool object = false;
    std::set<string_t> keys;
    string_t key;
    std::size_t count = 0;  // elements of an array seen so far
  };

  static std::string shorten(const std::string& s) { return s.size() > 40 ? s.substr(0, 37) + "..." : s; }

  void element() {
    if (!stack_.empty() && !stack_.back().object) ++stack_.back().count;
  }
  void enter(bool object) {
    element();
    if (stack_.size() >= kMaxJsonDepth)
      throw UserError(source_ + ": " + path_here("") + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                      " levels");
    stack_.push_back(Frame{object, {}, {}, 0});
  }
  /// The JSON path of the current position, plus `last` (a key of the innermost object) if given.
  std::string path_here(const std::string& last) const {
    std::string p;
    for (std::size_t i = 0; i < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.object) {
        const std::string& k = (i + 1 == stack_.size()) ? last : f.key;
        if (!k.empty()) p += (p.empty() ? "" : ".") + shorten(k);
      } else if (f.count > 0 && i + 1 < stack_.size()) {
        p += "[" + std::to_string(f.count - 1) + "]";
      }
      if (p.size() > 200) return p + "...";  // whole components, then an ellipsis
    }
    return p.empty() ? "(top level)" : p;
  }

  nlohmann::detail::json_sax_dom_parser<J> dom_;
  std::string_view text_;
  std::size_t first_line_;
  std::string source_;      // for errors without a position
  std::string source_pos_;  // for errors with line and column
  std::vector<Frame> stack_;
};

template <class J>
J parse_strict(std::string_view text, const std::string& source, std::size_t first_line) {
  if (text.size() > kMaxJsonBytes)
    throw UserError(source + ": JSON text of " + std::to_string(text.size()) + " bytes is larger than the limit of " +
                    std::to_string(kMaxJsonBytes) + " bytes");
  J root;
  StrictSax<J> sax(root, text, source, first_line);
  J::sax_parse(text.begin(), text.end(), &sax);
  return root;
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& source, std::size_t first_line) {
  return parse_strict<nlohmann::json>(text, source, first_line);
}

nlohmann::ordered_json parse_ordered_json(std::string_view text, const std::string& source, std::size_t first_line) {
  return parse_strict<nlohmann::ordered_json>(text, source, first_line);
}

nlohmann::json read_json_file(const std::string& path) {
  return parse_json(read_whole_file(path, kMaxJsonBytes), path);
}

void apply_json_override(nlohmann::json& doc, const std::string& assignment, const std::string& flag) {
  const std::string what = flag + " " + assignment;
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UserError(what + ": expected PATH=VALUE, e.g. " + flag + " budget.evaluations=200");
  const std::string path = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  // Segments: keys split at '.', and "[n]" suffixes as array indices.
  struct Step {
    std::string key;
    bool index = false;
  };
  std::vector<Step> steps;
  std::string cur;
  auto push_key = [&] {
    if (cur.empty()) throw UserError(what + ": empty key in the path '" + path + "'");
    steps.push_back({cur, false});
    cur.clear();
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char ch = path[i];
    if (ch == '.') {
      if (!cur.empty() || steps.empty() || !steps.back().index) push_key();
    } else if (ch == '[') {
      if (!cur.empty()) push_key();
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) throw UserError(what + ": '[' without ']' in the path '" + path + "'");
      const std::string n = path.substr(i + 1, close - i - 1);
      if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n.size() > 9)
        throw UserError(what + ": expected an array index in [], got '[" + n + "]'");
      steps.push_back({n, true});
      i = close;
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) push_key();
  else if (path.back() == '.') push_key();
  nlohmann::json value;
  try {
    value = parse_json(text, what);
  } catch (const UserError&) {
    value = text;  // not JSON: a string
  }
  nlohmann::json result = doc;  // a refused assignment leaves `doc` as it was
  nlohmann::json* at = &result;
  std::string where;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const bool digits = !s.key.empty() && s.key.find_first_not_of("0123456789") == std::string::npos && s.key.size() <= 9;
    if (at->is_array() && (s.index || digits)) {
      const std::size_t k = std::stoul(s.key);
      if (k >= at->size())
        throw UserError(what + ": " + (where.empty() ? "the config" : where) + " has " + std::to_string(at->size()) +
                        " elements, no [" + s.key + "]");
      at = &(*at)[k];
      where += "[" + s.key + "]";
    } else if (s.index) {
      throw UserError(what + ": " + (where.empty() ? "the config" : where) + " is not an array (it is of type " + json_type_name(*at) + ")");
    } else {
      if (at->is_null()) *at = nlohmann::json::object();
      if (!at->is_object())
        throw UserError(what + ": " + (where.empty() ? "the config" : where) + " is not an object (it is of type " +
                        json_type_name(*at) + ")");
      at = &(*at)[s.key];
      where += (where.empty() ? "" : ".") + s.key;
    }
  }
  *at = std::move(value);
  doc = std::move(result);
}

}  // namespace hwnas
