#pragma once
// Options structs describe their fields once. Reading (strict, through JsonReader), writing, the
// per-field checks and the JSON-schema fragment all come from that one description, so a field
// cannot be read but not written, or written but not checked.
//
// A struct lists each field, its JSON key and its checks in a static `fields`; rules that tie
// fields together go in an optional `check(path)`:
//
//   struct GpOptions {
//     std::string kernel = "matern52";
//     std::vector<double> length_scales{0.75, 1.5};
//     int max_points = 256;
//     template <class S, class V>
//     static void fields(S& o, V& v) {
//       v("kernel", o.kernel, opt::one_of({"matern52", "rbf"}));
//       v("length_scales", o.length_scales, opt::non_empty(), opt::above(0, 1e300));
//       v("max_points", o.max_points, opt::in(8, 4096));
//     }
//     void check(const std::string& path) const;  // optional: cross-field rules
//   };
//
//   GpOptions g = read_options<GpOptions>(j, "strategy.options.gp");  // unknown key, bad type or
//                                                                      // range -> UserError naming it
//   nlohmann::json out = write_options(g);       // every field (read_options(out) == g)
//   nlohmann::json schema = options_schema<GpOptions>();  // {"type": "object", "properties": ...}
//
// A field whose type is itself described (GpOptions inside BoOptions) is read, written, checked
// and described as a nested object. A new field type needs an OptionCodec specialisation
// (TorchDevice has one, nas/torch_device.h).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/suggest.h"

namespace hwnas {

/// How one field type is read, written and typed in the schema. Specialise for a new type.
template <class T>
struct OptionCodec {
  static T read(JsonReader& r, const std::string& key, const T& fallback) { return r.get<T>(key, fallback); }
  static T require(JsonReader& r, const std::string& key) { return r.require<T>(key); }
  static nlohmann::json write(const T& v) { return v; }
  static nlohmann::json schema() {
    if constexpr (std::is_same_v<T, bool>) return {{"type", "boolean"}};
    else if constexpr (std::is_integral_v<T>) return {{"type", "integer"}};
    else if constexpr (std::is_floating_point_v<T>) return {{"type", "number"}};
    else if constexpr (std::is_same_v<T, std::string>) return {{"type", "string"}};
    else if constexpr (std::is_same_v<T, std::vector<int>>) return {{"type", "array"}, {"items", {{"type", "integer"}}}};
    else if constexpr (std::is_same_v<T, std::vector<double>>) return {{"type", "array"}, {"items", {{"type", "number"}}}};
    else return {{"type", "array"}, {"items", {{"type", "string"}}}};
  }
};

/// Seeds: any non-negative integer JSON holds (read as a 64-bit integer).
template <>
struct OptionCodec<std::uint64_t> {
  static std::uint64_t read(JsonReader& r, const std::string& key, std::uint64_t fallback) {
    return r.has(key) ? require(r, key) : fallback;
  }
  static std::uint64_t require(JsonReader& r, const std::string& key) {
    const long long v = r.require<long long>(key);
    if (v < 0) throw UserError(r.child(key) + ": expected a non-negative integer, got " + std::to_string(v));
    return static_cast<std::uint64_t>(v);
  }
  static nlohmann::json write(std::uint64_t v) { return v; }
  static nlohmann::json schema() { return {{"type", "integer"}, {"minimum", 0}}; }
};

/// An object of named values ({layer key: microseconds}): every value read as V, its path
/// PATH.KEY in messages; the field's checks apply to each value (a check type that knows maps).
template <class V>
struct OptionCodec<std::map<std::string, V>> {
  static std::map<std::string, V> read(JsonReader& r, const std::string& key, const std::map<std::string, V>& fallback) {
    return r.has(key) ? require(r, key) : fallback;
  }
  static std::map<std::string, V> require(JsonReader& r, const std::string& key) {
    const nlohmann::json* v = r.raw(key);
    if (!v) throw UserError(r.child(key) + ": required field is missing");
    if (!v->is_object()) JsonReader::fail(r.child(key), "an object", *v);
    std::map<std::string, V> out;
    for (auto it = v->begin(); it != v->end(); ++it) out[it.key()] = JsonReader::convert<V>(it.value(), r.child(key) + "." + it.key());
    return out;
  }
  static nlohmann::json write(const std::map<std::string, V>& m) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : m) out[k] = OptionCodec<V>::write(v);
    return out;
  }
  static nlohmann::json schema() { return {{"type", "object"}, {"additionalProperties", OptionCodec<V>::schema()}}; }
};

/// A field that may be absent (a budget limit): read when given, written only when set; the
/// field's checks apply to the value.
template <class T>
struct OptionCodec<std::optional<T>> {
  static std::optional<T> read(JsonReader& r, const std::string& key, const std::optional<T>& fallback) {
    return r.has(key) ? std::optional<T>(OptionCodec<T>::require(r, key)) : fallback;
  }
  static std::optional<T> require(JsonReader& r, const std::string& key) { return OptionCodec<T>::require(r, key); }
  static nlohmann::json write(const std::optional<T>& v) { return v ? OptionCodec<T>::write(*v) : nlohmann::json(); }
  static nlohmann::json schema() { return OptionCodec<T>::schema(); }
};

/// A free-form JSON value (checked by the struct's check()).
template <>
struct OptionCodec<nlohmann::json> {
  static nlohmann::json read(JsonReader& r, const std::string& key, const nlohmann::json& fallback) {
    const nlohmann::json* v = r.raw(key);
    return v ? *v : fallback;
  }
  static nlohmann::json require(JsonReader& r, const std::string& key) {
    const nlohmann::json* v = r.raw(key);
    if (!v) throw UserError(r.child(key) + ": required");
    return *v;
  }
  static nlohmann::json write(const nlohmann::json& v) { return v; }
  static nlohmann::json schema() { return nlohmann::json::object(); }
};

namespace detail {
std::string option_quoted_list(const std::vector<std::string>& values);  // "a", "b" or "c"
}  // namespace detail

/// An enum field read and written by name: the values First..Last, named by Name ("" for none).
template <class E, const char* (*Name)(E), int First, int Last>
struct EnumOptionCodec {
  static std::vector<std::string> names() {
    std::vector<std::string> out;
    for (int i = First; i <= Last; ++i) out.push_back(Name(static_cast<E>(i)));
    return out;
  }
  static E require(JsonReader& r, const std::string& key) {
    const std::string s = r.require<std::string>(key);
    for (int i = First; i <= Last; ++i)
      if (s == Name(static_cast<E>(i))) return static_cast<E>(i);
    throw UserError(r.child(key) + ": expected " + detail::option_quoted_list(names()) + ", got \"" + s + "\"");
  }
  static E read(JsonReader& r, const std::string& key, E fallback) { return r.has(key) ? require(r, key) : fallback; }
  static nlohmann::json write(E v) { return *Name(v) ? nlohmann::json(Name(v)) : nlohmann::json(); }
  static nlohmann::json schema() { return {{"type", "string"}, {"enum", names()}}; }
};

/// Field checks, given after the field in `fields`. Numbers are checked per element of a list.
namespace opt {
struct In { double lo, hi; };          // lo <= v <= hi
struct Above { double lo, hi; };       // lo < v <= hi
struct OneOf { std::vector<std::string> values; };
struct NonEmpty {};                    // a list with at least one value
struct Distinct {};                    // no value listed twice
struct Required {};                    // the key must be given
struct WrittenIf { bool when; };       // written only when `when` (keys that mean nothing otherwise)
struct Doc { const char* text; };      // the field's description in the schema
inline In in(double lo, double hi) { return {lo, hi}; }
inline In at_least(double lo) { return {lo, std::numeric_limits<double>::infinity()}; }
inline Above above(double lo, double hi) { return {lo, hi}; }
inline Above positive() { return {0.0, std::numeric_limits<double>::infinity()}; }
inline OneOf one_of(std::initializer_list<const char*> v) { return {std::vector<std::string>(v.begin(), v.end())}; }
inline OneOf one_of(std::vector<std::string> v) { return {std::move(v)}; }
inline NonEmpty non_empty() { return {}; }
inline Distinct distinct() { return {}; }
inline Required required() { return {}; }
inline WrittenIf written_if(bool when) { return {when}; }
inline Doc doc(const char* text) { return {text}; }
}  // namespace opt

namespace detail {

struct AnyVisitor {
  template <class... A>
  void operator()(A&&...) {}
};

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

std::string option_number(double v, bool integral);
std::string option_quoted_list(const std::vector<std::string>& values);  // "a", "b" or "c"

template <class T>
void check_one(const std::string& where, const T& v, const opt::In& c) {
  if constexpr (std::is_arithmetic_v<T>) {
    const double x = static_cast<double>(v);
    if (!(x >= c.lo && x <= c.hi)) {
      if (std::isinf(c.hi))
        throw UserError(where + ": expected " + (std::is_integral_v<T> ? "an integer" : "a number") + " >= " +
                        option_number(c.lo, std::is_integral_v<T>) + ", got " + option_number(x, std::is_integral_v<T>));
      if constexpr (std::is_integral_v<T>)
        throw UserError(where + ": expected an integer in " + option_number(c.lo, true) + ".." + option_number(c.hi, true) +
                        ", got " + option_number(x, true));
      else
        throw UserError(where + ": expected a number in [" + option_number(c.lo, false) + ", " + option_number(c.hi, false) +
                        "], got " + option_number(x, false));
    }
  }
}
template <class T>
void check_one(const std::string& where, const T& v, const opt::Above& c) {
  if constexpr (std::is_arithmetic_v<T>) {
    const double x = static_cast<double>(v);
    if (!(x > c.lo && x <= c.hi) || !std::isfinite(x)) {
      if (std::isinf(c.hi))
        throw UserError(where + ": expected a number > " + option_number(c.lo, false) + ", got " + option_number(x, false));
      throw UserError(where + ": expected a number in (" + option_number(c.lo, false) + ", " + option_number(c.hi, false) +
                      "], got " + option_number(x, false));
    }
  }
}
template <class T>
void check_one(const std::string& where, const T& v, const opt::OneOf& c) {
  if constexpr (std::is_same_v<T, std::string>) {
    for (const auto& s : c.values)
      if (s == v) return;
    throw UserError(where + ": expected " + option_quoted_list(c.values) + ", got \"" + v + "\"" + did_you_mean(v, c.values));
  }
}
template <class T, class C>
void check_one(const std::string&, const T&, const C&) {}

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T, class C>
void check_field(const std::string& where, const T& v, const C& c) {
  if constexpr (IsOptional<T>::value) {
    if (v) check_field(where, *v, c);
  } else if constexpr (IsVector<T>::value) {
    if constexpr (std::is_same_v<C, opt::NonEmpty>) {
      if (v.empty()) throw UserError(where + ": expected at least one value");
    } else if constexpr (std::is_same_v<C, opt::Distinct>) {
      for (std::size_t i = 0; i < v.size(); ++i)
        for (std::size_t k = 0; k < i; ++k)
          if (v[k] == v[i]) throw UserError(where + "[" + std::to_string(i) + "]: " + nlohmann::json(v[i]).dump() + " is listed twice");
    } else {
      for (std::size_t i = 0; i < v.size(); ++i) check_one(where + "[" + std::to_string(i) + "]", v[i], c);
    }
  } else {
    check_one(where, v, c);
  }
}

}  // namespace detail

/// A struct with a static fields(o, v) as above.
template <class T>
concept DescribedOptions = requires(T& o, detail::AnyVisitor& v) { T::fields(o, v); };

template <DescribedOptions T>
void validate_options(const T& o, const std::string& path);
template <DescribedOptions T>
nlohmann::json write_options(const T& o);

namespace detail {

template <class C, class... Cs>
constexpr bool has_check = (std::is_same_v<C, Cs> || ...);

inline bool written(const opt::WrittenIf& w) { return w.when; }
template <class C>
bool written(const C&) { return true; }

struct FieldChecker {
  const std::string& path;
  template <class F, class... C>
  void operator()(const char* key, const F& f, const C&... checks) {
    const std::string where = path + (path.empty() || path.back() == ' ' ? "" : ".") + key;
    if constexpr (DescribedOptions<F>) validate_options(f, where);
    else (check_field(where, f, checks), ...);
  }
};

struct FieldWriter {
  nlohmann::json& out;
  template <class F, class... C>
  void operator()(const char* key, const F& f, const C&... checks) {
    if (!(written(checks) && ...)) return;
    if constexpr (IsOptional<F>::value) {
      if (!f) return;
    }
    if constexpr (DescribedOptions<F>) out[key] = write_options(f);
    else out[key] = OptionCodec<F>::write(f);
  }
};

struct FieldReader;

}  // namespace detail

/// Reads the keys `j` gives into `o` (j null: none), strictly, without checking values: for
/// structs whose defaults depend on what was read (then validate_options). Prefer read_options.
template <DescribedOptions T>
void read_fields(T& o, const nlohmann::json& j, const std::string& path);
/// The same from a reader the caller finishes: for a document whose other keys need more than a
/// field list (SearchConfig's space and objectives).
template <DescribedOptions T>
void read_fields(T& o, JsonReader& r);

namespace detail {

struct FieldReader {
  JsonReader& r;
  template <class F, class... C>
  void operator()(const char* key, F& f, const C&...) {
    if constexpr (DescribedOptions<F>) {
      const nlohmann::json* sub = r.raw(key);
      if (sub) read_fields(f, *sub, r.child(key));
      else if (has_check<opt::Required, C...>) throw UserError(r.child(key) + ": required field is missing");
    } else if constexpr (has_check<opt::Required, C...>) {
      f = OptionCodec<F>::require(r, key);
    } else {
      f = OptionCodec<F>::read(r, key, f);
    }
  }
};

template <class T>
nlohmann::json schema_of();

void add_schema_check(nlohmann::json& s, const opt::In& c, bool integral);
void add_schema_check(nlohmann::json& s, const opt::Above& c, bool integral);
void add_schema_check(nlohmann::json& s, const opt::OneOf& c, bool integral);
void add_schema_check(nlohmann::json& s, const opt::NonEmpty& c, bool integral);
void add_schema_check(nlohmann::json& s, const opt::Distinct& c, bool integral);
void add_schema_check(nlohmann::json& s, const opt::Doc& c, bool integral);
template <class C>
void add_schema_check(nlohmann::json&, const C&, bool) {}

struct FieldSchema {
  nlohmann::json& properties;
  nlohmann::json& required;
  template <class F, class... C>
  void operator()(const char* key, const F& f, const C&... checks) {
    nlohmann::json s;
    if constexpr (DescribedOptions<F>) {
      s = schema_of<F>();
      s["default"] = write_options(f);
      ((std::is_same_v<C, opt::Doc> ? add_schema_check(s, checks, false) : void()), ...);
    } else {
      s = OptionCodec<F>::schema();
      constexpr bool integral = std::is_integral_v<F> || std::is_same_v<F, std::vector<int>> ||
                                std::is_same_v<F, std::optional<long long>> || std::is_same_v<F, std::optional<int>>;
      // Checks on a list's numbers apply to its items.
      nlohmann::json& target = (IsVector<F>::value && s.contains("items")) ? s["items"] : s;
      ((std::is_same_v<C, opt::NonEmpty> || std::is_same_v<C, opt::Distinct> || std::is_same_v<C, opt::Doc>
            ? add_schema_check(s, checks, integral)
                                                                              : add_schema_check(target, checks, integral)),
       ...);
      // No default for a required key, an optional one, or one the default struct would not write.
      if (!has_check<opt::Required, C...> && !IsOptional<F>::value && (written(checks) && ...))
        s["default"] = OptionCodec<F>::write(f);
    }
    if (has_check<opt::Required, C...>) required.push_back(key);
    properties[key] = std::move(s);
  }
};

template <class T>
nlohmann::json schema_of() {
  nlohmann::json properties = nlohmann::json::object(), required = nlohmann::json::array();
  const T defaults{};
  FieldSchema v{properties, required};
  T::fields(defaults, v);
  nlohmann::json s = {{"type", "object"}, {"additionalProperties", false}, {"properties", std::move(properties)}};
  if (!required.empty()) s["required"] = std::move(required);
  return s;
}

}  // namespace detail

template <DescribedOptions T>
void read_fields(T& o, JsonReader& r) {
  detail::FieldReader reader{r};
  T::fields(o, reader);
}

template <DescribedOptions T>
void read_fields(T& o, const nlohmann::json& j, const std::string& path) {
  JsonReader r(j, path);
  read_fields(o, r);
  r.finish();
}

/// Checks every field (and nested struct), then the struct's check(path) if it has one.
template <DescribedOptions T>
void validate_options(const T& o, const std::string& path) {
  detail::FieldChecker v{path};
  T::fields(o, v);
  if constexpr (requires(const T& t, const std::string& p) { t.check(p); }) o.check(path);
}

/// Every field, as JSON (fields marked written_if(false) are left out).
template <DescribedOptions T>
nlohmann::json write_options(const T& o) {
  nlohmann::json out = nlohmann::json::object();
  detail::FieldWriter v{out};
  T::fields(o, v);
  return out;
}

/// `base` with the keys `j` gives (j null: none), strictly (unknown keys, wrong types and failed
/// checks are UserErrors naming path.key), validated.
template <DescribedOptions T>
T read_options(const nlohmann::json& j, const std::string& path, T base = T{}) {
  read_fields(base, j, path);
  validate_options(base, path);
  return base;
}

/// The JSON-schema fragment of the struct: types, defaults, ranges, enums, required keys.
template <DescribedOptions T>
nlohmann::json options_schema() {
  return detail::schema_of<T>();
}

}  // namespace hwnas
