#include "hwnas/core/json_reader.h"

#include <cmath>
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

const nlohmann::json* JsonReader::lookup(const std::string& key) {
  read_.insert(key);
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
    throw UserError(child(it.key()) + ": unknown key" + (known.empty() ? "" : " (expected one of: " + known + ")"));
  }
}

template <>
long long JsonReader::convert<long long>(const nlohmann::json& v, const std::string& path) {
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

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path + ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Translate the byte offset into line and column for the message.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    const auto pos = what.find("syntax error");
    if (pos != std::string::npos) what = what.substr(pos);
    throw UserError(path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": invalid JSON: " + what);
  }
}

}  // namespace hwnas
