#include "experiments/invocation.h"

namespace ablate {
namespace {
std::string& storage() {
  static std::string s;
  return s;
}
}  // namespace

void set_invocation(int argc, char** argv) {
  std::string s = "ablate";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    const bool quote = a.empty() || a.find_first_of(" \t\"'$*") != std::string::npos;
    s += " " + (quote ? "'" + a + "'" : a);
  }
  storage() = s;
}

const std::string& invocation() { return storage(); }

}  // namespace ablate
