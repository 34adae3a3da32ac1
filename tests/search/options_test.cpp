// #12: options field lists that cannot drift. For every options struct, the keys its from_json
// knows (looked up, present or not) are exactly the keys its to_json writes, and reading what it
// writes gives it back (read, write, read: equal).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "hwnas/core/json_reader.h"
#include "hwnas/core/options.h"
#include "hwnas/hw_models/device_profile.h"
#include "hwnas/nas/dataset.h"
#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/nas/train.h"
#include "hwnas/search/gp.h"
#include "hwnas/search/objective_proxy.h"
#include "hwnas/search/scheduler.h"
#include "hwnas/search/strategies.h"

using namespace hwnas;

namespace {

// `read(json)` is the struct's from_json with reader path "p"; `written` what its to_json gave.
// `outside` names keys the struct reads without a JsonReader lookup at "p" (a nested part it
// hands to another struct's reader); `when_set` keys it writes only when they hold something.
template <class Read>
void expect_reads_what_it_writes(const std::string& name, const nlohmann::json& written, Read read,
                                 const std::set<std::string>& outside = {}, const std::set<std::string>& when_set = {}) {
  std::set<std::string> looked = outside;
  const JsonReader::LookupObserver observer = [&](const std::string& path, const std::string& key) {
    if (path == "p" || path == "p: ") looked.insert(key);  // "p: ": a profile file's reader
  };
  JsonReader::observe_lookups(&observer);
  nlohmann::json again;
  try {
    again = read(written);
  } catch (...) {
    JsonReader::observe_lookups(nullptr);
    throw;
  }
  JsonReader::observe_lookups(nullptr);
  std::set<std::string> keys;
  for (const auto& [k, v] : written.items()) keys.insert(k);
  for (const std::string& k : when_set) {
    EXPECT_TRUE(looked.count(k)) << name << ": " << k;
    if (!keys.count(k)) looked.erase(k);
  }
  EXPECT_EQ(looked, keys) << name << ": keys from_json knows vs keys to_json writes";
  EXPECT_EQ(again, written) << name << ": read, write, read";
}

// The same for a struct whose from_json takes (json, path); `written` defaults to T{}'s to_json.
template <class T>
void expect_struct_reads_what_it_writes(const std::string& name, const nlohmann::json& written = T{}.to_json(),
                                        const std::set<std::string>& when_set = {}) {
  expect_reads_what_it_writes(name, written, [](const nlohmann::json& j) { return T::from_json(j, "p").to_json(); }, {}, when_set);
}

}  // namespace

TEST(Options, EveryStructReadsExactlyWhatItWrites) {
  expect_struct_reads_what_it_writes<RandomOptions>("RandomOptions");
  expect_struct_reads_what_it_writes<EvolutionOptions>("EvolutionOptions");
  expect_struct_reads_what_it_writes<LocalOptions>("LocalOptions");
  expect_struct_reads_what_it_writes<BoOptions>("BoOptions");
  expect_struct_reads_what_it_writes<MctsOptions>("MctsOptions");
  expect_struct_reads_what_it_writes<GpOptions>("GpOptions");
  expect_struct_reads_what_it_writes<Nb201Options>("Nb201Options");
  expect_struct_reads_what_it_writes<MbvOptions>("MbvOptions");
  // Every key of the synthetic set (the other sets do not use, and do not record, its shape).
  DatasetOptions synthetic;
  synthetic.name = "synthetic";
  synthetic.synthetic_size = 64;
  expect_struct_reads_what_it_writes<DatasetOptions>("DatasetOptions", synthetic.to_json());
  const nlohmann::json fashion = DatasetOptions{}.to_json();
  EXPECT_EQ(DatasetOptions::from_json(fashion, "p").to_json(), fashion);
  expect_struct_reads_what_it_writes<TrainOptions>("TrainOptions");
  const SchedulerConfig asha = SchedulerConfig::from_json({{"name", "asha"}, {"min_fidelity", 3}, {"max_fidelity", 27}}, "s");
  expect_struct_reads_what_it_writes<SchedulerConfig>("SchedulerConfig", asha.to_json());
  expect_reads_what_it_writes("ProxySourceOptions", ProxySourceOptions::from_json({{"name", "naswot"}}, "s", 3).to_json(),
                              [](const nlohmann::json& j) { return ProxySourceOptions::from_json(j, "p", 3).to_json(); });
  // Written when set: a calibrated profile's corrections, table and memory efficiencies; a GPU's tile.
  for (const char* device : {"a100-sxm", "raspberry-pi-4", "host"})
    expect_struct_reads_what_it_writes<DeviceProfile>(
        std::string("DeviceProfile ") + device, load_device(device).to_json(),
        {"corrections", "lookup_table", "memory_efficiency", "conv_channel_tile"});
  expect_reads_what_it_writes(
      "TrainSourceOptions", TrainSourceOptions::from_json(nullptr, "s", 3).to_json(),
      [](const nlohmann::json& j) { return TrainSourceOptions::from_json(j, "p", 3).to_json(); }, {"dataset"});
}

namespace {
// The schema fragment and the writer come from one field list: the same keys.
template <class T>
void expect_schema_lists_what_it_writes(const std::string& name, const T& value) {
  std::set<std::string> described, written;
  const nlohmann::json schema = options_schema<T>(), out = write_options(value);
  for (const auto& [k, v] : schema["properties"].items()) described.insert(k);
  for (const auto& [k, v] : out.items()) written.insert(k);
  EXPECT_EQ(described, written) << name;
  EXPECT_EQ(write_options(read_options<T>(write_options(value), "p", value)), write_options(value)) << name;
}
}  // namespace

TEST(Options, EverySchemaFragmentListsWhatItsStructWrites) {
  expect_schema_lists_what_it_writes("RandomOptions", RandomOptions{});
  expect_schema_lists_what_it_writes("EvolutionOptions", EvolutionOptions{});
  expect_schema_lists_what_it_writes("LocalOptions", LocalOptions{});
  expect_schema_lists_what_it_writes("BoOptions", BoOptions{});
  expect_schema_lists_what_it_writes("MctsOptions", MctsOptions{});
  expect_schema_lists_what_it_writes("GpOptions", GpOptions{});
  expect_schema_lists_what_it_writes("Nb201Options", Nb201Options{});
  expect_schema_lists_what_it_writes("MbvOptions", MbvOptions{});
  DatasetOptions synthetic;
  synthetic.name = "synthetic";
  expect_schema_lists_what_it_writes("DatasetOptions", synthetic);
  expect_schema_lists_what_it_writes("TrainOptions", TrainOptions{});
  expect_schema_lists_what_it_writes("SchedulerConfig",
                                     SchedulerConfig::from_json({{"name", "sh"}, {"min_fidelity", 3}, {"max_fidelity", 27}}, "s"));
  expect_schema_lists_what_it_writes("ProxySourceOptions", ProxySourceOptions::from_json({{"name", "naswot"}}, "s", 3));
  expect_schema_lists_what_it_writes("TrainSourceOptions", TrainSourceOptions::from_json(nullptr, "s", 3));
}
