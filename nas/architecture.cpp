#include "hwnas/nas/architecture.h"

#include <cstdio>

#include "hwnas/core/rng.h"

namespace hwnas {

std::uint64_t Architecture::hash() const {
  std::uint64_t h = 0x243f6a8885a308d3ULL ^ choices.size();
  for (int c : choices) h = Rng::mix(h ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(c)));
  return h;
}

std::string Architecture::vector_string() const {
  std::string s;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(choices[i]);
  }
  return s;
}

std::string hash_hex(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace hwnas
