// Fuzz target: --space-options text for nb201 (first byte even) or mbv (odd), then one network
// of the space is decoded and counted.
#include "fuzz_common.h"
#include "hwnas/nas/search_space.h"
#include "space_cli.h"  // app/ (the fuzz target compiles app/space_cli.cpp)

HWNAS_FUZZ_TARGET({
  if (input.empty()) return 0;
  const std::string name = (static_cast<unsigned char>(input[0]) % 2 == 0) ? "nb201" : "mbv";
  const auto space = hwnas::make_space_from_cli(name, input.substr(1));
  hwnas::Architecture a;
  for (const auto& d : space->decisions()) a.choices.push_back(static_cast<int>(d.choices.size()) - 1);
  space->count(a);
})
