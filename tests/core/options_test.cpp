// core/options.h: one field description gives strict reading, writing, checks and the schema.
#include <gtest/gtest.h>

#include "hwnas/core/options.h"

using namespace hwnas;

namespace {

struct Inner {
  double scale = 1.5;
  std::vector<int> sizes{3, 5};
  template <class S, class V>
  static void fields(S& o, V& v) {
    v("scale", o.scale, opt::positive());
    v("sizes", o.sizes, opt::non_empty(), opt::in(1, 15), opt::distinct());
  }
};

struct Toy {
  std::string name;
  int count = 4;
  std::string mode = "fast";
  std::uint64_t seed = 0;
  bool extra = false;
  int extra_value = 7;
  nlohmann::json free = "auto";
  Inner inner;
  template <class S, class V>
  static void fields(S& o, V& v) {
    v("name", o.name, opt::required());
    v("count", o.count, opt::in(1, 10));
    v("mode", o.mode, opt::one_of({"fast", "exact"}));
    v("seed", o.seed);
    v("extra", o.extra);
    v("extra_value", o.extra_value, opt::at_least(0), opt::written_if(o.extra));
    v("free", o.free);
    v("inner", o.inner);
  }
  void check(const std::string& path) const {
    if (mode == "exact" && count > 5) throw UserError(path + ".count: exact mode takes at most 5");
  }
};

std::string error_of(const nlohmann::json& j) {
  try {
    read_options<Toy>(j, "t");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(OptionFields, ReadWriteReadGivesTheSameValues) {
  const Toy t = read_options<Toy>({{"name", "a"}, {"count", 9}, {"seed", 12345678901LL}, {"inner", {{"sizes", {7}}}}}, "t");
  EXPECT_EQ(t.name, "a");
  EXPECT_EQ(t.count, 9);
  EXPECT_EQ(t.seed, 12345678901ULL);
  EXPECT_EQ(t.inner.sizes, std::vector<int>{7});
  EXPECT_EQ(t.inner.scale, 1.5);  // a nested key not given keeps its default
  const nlohmann::json w = write_options(t);
  EXPECT_FALSE(w.contains("extra_value"));  // written_if(false)
  EXPECT_EQ(w["inner"]["sizes"], nlohmann::json({7}));
  EXPECT_EQ(write_options(read_options<Toy>(w, "t")), w);

  Toy e = t;
  e.extra = true;
  EXPECT_EQ(write_options(e)["extra_value"], 7);
  // A base other than the defaults: keys not given keep the base's values.
  Toy base;
  base.count = 2;
  EXPECT_EQ(read_options<Toy>({{"name", "b"}}, "t", base).count, 2);
}

TEST(OptionFields, BadInputNamesTheField) {
  EXPECT_EQ(error_of({{"count", 2}}), "t.name: required field is missing");
  EXPECT_EQ(error_of({{"name", "a"}, {"count", 11}}), "t.count: expected an integer in 1..10, got 11");
  EXPECT_EQ(error_of({{"name", "a"}, {"mode", "slow"}}), "t.mode: expected \"fast\" or \"exact\", got \"slow\"");
  EXPECT_EQ(error_of({{"name", "a"}, {"extra_value", -1}}), "t.extra_value: expected an integer >= 0, got -1");
  EXPECT_EQ(error_of({{"name", "a"}, {"inner", {{"scale", 0}}}}), "t.inner.scale: expected a number > 0, got 0");
  EXPECT_EQ(error_of({{"name", "a"}, {"inner", {{"sizes", nlohmann::json::array()}}}}), "t.inner.sizes: expected at least one value");
  EXPECT_EQ(error_of({{"name", "a"}, {"inner", {{"sizes", {3, 16}}}}}), "t.inner.sizes[1]: expected an integer in 1..15, got 16");
  EXPECT_EQ(error_of({{"name", "a"}, {"inner", {{"sizes", {3, 3}}}}}), "t.inner.sizes[1]: 3 is listed twice");
  EXPECT_EQ(error_of({{"name", "a"}, {"mode", "exact"}, {"count", 6}}), "t.count: exact mode takes at most 5");
  EXPECT_NE(error_of({{"name", "a"}, {"cout", 2}}).find("cout"), std::string::npos);            // unknown key
  EXPECT_NE(error_of({{"name", "a"}, {"inner", {{"scal", 2}}}}).find("scal"), std::string::npos);  // unknown nested key
  EXPECT_NE(error_of({{"name", "a"}, {"count", "two"}}).find("t.count"), std::string::npos);       // wrong type
}

TEST(OptionFields, SchemaComesFromTheSameDescription) {
  const nlohmann::json s = options_schema<Toy>();
  EXPECT_EQ(s["type"], "object");
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["required"], nlohmann::json({"name"}));
  const nlohmann::json& p = s["properties"];
  EXPECT_EQ(p.size(), 8u);
  EXPECT_EQ(p["count"], nlohmann::json({{"type", "integer"}, {"minimum", 1}, {"maximum", 10}, {"default", 4}}));
  EXPECT_EQ(p["mode"]["enum"], nlohmann::json({"fast", "exact"}));
  EXPECT_FALSE(p["name"].contains("default"));
  EXPECT_EQ(p["inner"]["properties"]["sizes"],
            nlohmann::json({{"type", "array"}, {"minItems", 1}, {"uniqueItems", true},
                            {"items", {{"type", "integer"}, {"minimum", 1}, {"maximum", 15}}}, {"default", {3, 5}}}));
  EXPECT_EQ(p["inner"]["properties"]["scale"]["exclusiveMinimum"], 0);
  EXPECT_EQ(p["inner"]["default"], write_options(Inner{}));
}
