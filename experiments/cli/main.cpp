// The `ablate` command line. Exit codes: 0 ok, 1 failure, 2 bad input (nothing was run),
// 3 `check` found no baseline for this machine's fingerprint (rebaseline required). An error is
// one line: what failed and the operation Ablate was doing; --verbose adds LibTorch's full text.
#include <string>

#include "core/compat.h"
#include "experiments/cli/entry.h"

#if !defined(ABLATE_BUILD_COMMIT)
#define ABLATE_BUILD_COMMIT "unknown"
#define ABLATE_BUILD_TYPE "unknown"
#define ABLATE_BUILD_CUDA "unknown"
#endif

namespace {

// `ablate --version`: what a bug report needs to name this build.
std::string version_text() {
  const std::string build_type = *ABLATE_BUILD_TYPE ? ABLATE_BUILD_TYPE : "none";
  return std::string("ablate commit ") + ABLATE_BUILD_COMMIT + " (at configure time)\nbuild type: " + build_type +
         "\nLibTorch: " + ablate::compat::torch_version() + "\nCUDA: " + ABLATE_BUILD_CUDA + "\n";
}

}  // namespace

int main(int argc, char** argv) { return ablate::cli::run_cli(argc, argv, version_text()); }
