#pragma once
// The table behind an extension point's registry (strategies, schedulers): built-in entries first,
// then ones registered at run time; an entry is found by its `name`. Thread-safe.
//
// Example:
//   static NamedTable<SchedulerEntry> table({{"sh", ...}, {"asha", ...}});
//   if (auto e = table.find("asha")) ...;   table.add(entry);   table.remove("toy");
#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hwnas {

template <class Entry>
class NamedTable {
 public:
  explicit NamedTable(std::vector<Entry> builtins) : entries_(std::move(builtins)) {}

  std::optional<Entry> find(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_)
      if (e.name == name) return e;
    return std::nullopt;
  }
  std::vector<std::string> names() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }
  /// Adds `entry`, or replaces the entry of the same name.
  void add(Entry entry) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& e : entries_)
      if (e.name == entry.name) {
        e = std::move(entry);
        return;
      }
    entries_.push_back(std::move(entry));
  }
  void remove(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(entries_, [&](const Entry& e) { return e.name == name; });
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

}  // namespace hwnas
