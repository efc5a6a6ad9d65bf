#include "experiments/common/invocation.h"

#include <cstdlib>

namespace ablate {
namespace {
std::string& storage() {
  static std::string s;
  return s;
}
}  // namespace

void set_invocation(int argc, char** argv) {
  // results are committed: a path under the launcher's $OUT folder is written as "$OUT/..."
  const char* out_env = std::getenv("OUT");
  const std::string out = out_env && *out_env ? out_env : "";
  std::string s = "ablate";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!out.empty() && a.rfind(out, 0) == 0) a = "$OUT" + a.substr(out.size());
    const bool quote = a.empty() || a.find_first_of(" \t\"'$*") != std::string::npos;
    s += " " + (quote ? "'" + a + "'" : a);
  }
  storage() = s;
}

const std::string& invocation() { return storage(); }

}  // namespace ablate
