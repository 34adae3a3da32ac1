#pragma once
// Test helper: the message of the hwnas::UserError a call throws, or "(no error)".
//
// Example:
//   EXPECT_EQ(error_of([&] { space.parse("x"); }), "nb201 architecture string, position 1 ...");
#include <functional>
#include <string>

#include "hwnas/core/error.h"

namespace hwnas::test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace hwnas::test
