#include "hwnas/core/jsonl.h"

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"

namespace hwnas {

JsonlText parse_jsonl(const std::string& text, const std::string& path, const std::string& damaged) {
  JsonlText out;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {  // a write cut short
      out.cut_bytes = text.size() - pos;
      out.cut_line = line_no;
      break;
    }
    const std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    out.valid_bytes = pos;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    try {
      out.lines.push_back({parse_json(line, path, static_cast<std::size_t>(line_no)), line_no});
    } catch (const UserError& e) {
      if (damaged.empty()) throw;
      throw UserError(std::string(e.what()) + damaged);
    }
  }
  return out;
}

}  // namespace hwnas
