#include "hwnas/core/options.h"

#include <cstdio>

namespace hwnas::detail {

std::string option_number(double v, bool integral) {
  if (integral && std::isfinite(v) && std::fabs(v) < 9.2e18) return std::to_string(static_cast<long long>(v));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string option_quoted_list(const std::vector<std::string>& values) {
  std::string s;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) s += i + 1 == values.size() ? " or " : ", ";
    s += "\"" + values[i] + "\"";
  }
  return s;
}

namespace {
nlohmann::json bound(double v, bool integral) {
  if (integral && std::fabs(v) < 9.2e18) return static_cast<long long>(v);
  return v;
}
}  // namespace

void add_schema_check(nlohmann::json& s, const opt::In& c, bool integral) {
  s["minimum"] = bound(c.lo, integral);
  if (std::isfinite(c.hi)) s["maximum"] = bound(c.hi, integral);
}

void add_schema_check(nlohmann::json& s, const opt::Above& c, bool integral) {
  s["exclusiveMinimum"] = bound(c.lo, integral);
  if (std::isfinite(c.hi)) s["maximum"] = bound(c.hi, integral);
}

void add_schema_check(nlohmann::json& s, const opt::OneOf& c, bool) { s["enum"] = c.values; }

void add_schema_check(nlohmann::json& s, const opt::NonEmpty&, bool) { s["minItems"] = 1; }

void add_schema_check(nlohmann::json& s, const opt::Distinct&, bool) { s["uniqueItems"] = true; }

void add_schema_check(nlohmann::json& s, const opt::Doc& c, bool) { s["description"] = c.text; }

}  // namespace hwnas::detail
