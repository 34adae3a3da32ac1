#include "hwnas/core/error.h"

namespace hwnas {

void internal_error(const char* file, int line, const std::string& what) {
  throw InternalError(std::string("internal error at ") + file + ":" + std::to_string(line) + ": " + what);
}

}  // namespace hwnas
