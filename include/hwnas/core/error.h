#pragma once
// The three error channels of hwnas (see STYLE.md):
//  - InternalError: a broken invariant, i.e. a bug in hwnas (HWNAS_CHECK).
//  - UserError: bad input from the user (config field, architecture string, file); the message
//    names the input at fault. The CLI turns it into exit code 2.
//  - expected outcomes (a NaN network, a timed-out measurement) are returned as a status, never thrown.
#include <functional>
#include <stdexcept>
#include <string>

namespace hwnas {

class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// How a caller spells an option in messages: a library check names the field as the library
/// does ("split_multi"); the command line passes its flag's spelling ("--split-multi",
/// cli::flag_of). Empty: the field's own name.
using FieldSpelling = std::function<std::string(const std::string& field)>;
inline std::string spell_field(const FieldSpelling& spelling, const std::string& field) {
  return spelling ? spelling(field) : field;
}

[[noreturn]] void internal_error(const char* file, int line, const std::string& what);

}  // namespace hwnas

#define HWNAS_CHECK(cond, msg)                                             \
  do {                                                                     \
    if (!(cond)) ::hwnas::internal_error(__FILE__, __LINE__, std::string("check failed: " #cond ": ") + (msg)); \
  } while (0)
