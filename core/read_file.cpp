#include "hwnas/core/read_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hwnas/core/error.h"

namespace hwnas {

std::string read_whole_file(const std::string& path, std::size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw UserError(path + ": cannot open file: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw UserError(path + ": is a folder, expected a file");
  if (!S_ISREG(st.st_mode)) throw UserError(path + ": not a regular file (a device, pipe or socket cannot be read as input)");
  if (static_cast<unsigned long long>(st.st_size) > max_bytes)
    throw UserError(path + ": file of " + std::to_string(st.st_size) + " bytes is larger than the limit of " +
                    std::to_string(max_bytes) + " bytes");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace hwnas
