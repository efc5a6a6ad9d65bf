// libFuzzer's entry points for ablate_fuzz, the one binary of every fuzz target: the target is the
// program's name less "fuzz_" (scripts/fuzz.sh makes the fuzz_<name> links) or $ABLATE_FUZZ_TARGET.
// One binary, because each instrumented translation unit with LibTorch's headers costs minutes.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "fuzz/fuzz_input.h"

namespace ablate::fuzz {
namespace fuzz_main {

std::map<std::string, TestOneInput>& targets() {
  static std::map<std::string, TestOneInput> all;
  return all;
}

TestOneInput chosen = nullptr;

}  // namespace fuzz_main

bool register_target(const char* name, TestOneInput test) {
  fuzz_main::targets()[name] = test;
  return true;
}

}  // namespace ablate::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using namespace ablate::fuzz;
  std::string name = (*argv)[0];
  name = name.substr(name.find_last_of('/') + 1);
  if (name.rfind("fuzz_", 0) == 0) name = name.substr(5);
  if (const char* env = std::getenv("ABLATE_FUZZ_TARGET"); env != nullptr && *env != '\0') name = env;
  const auto it = fuzz_main::targets().find(name);
  if (it == fuzz_main::targets().end()) {
    std::string valid;
    for (const auto& [n, _] : fuzz_main::targets()) valid += (valid.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "ablate_fuzz: no target '%s' (run as fuzz_<target> or set ABLATE_FUZZ_TARGET); valid: %s\n",
                 name.c_str(), valid.c_str());
    std::exit(2);
  }
  fuzz_main::chosen = it->second;
  silence_cerr();  // the readers' warnings (e.g. a torn ledger line); sanitizer reports still show
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ablate::fuzz::fuzz_main::chosen(data, size);
}
