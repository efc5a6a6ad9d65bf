// The `ablate` command line as a function: what main() runs, and what tests call in process (no
// process start, no LibTorch load per call). Exit codes: 0 ok, 1 failure, 2 bad input (nothing was
// run), 3 `check` found no baseline for this machine's fingerprint.
#pragma once
#include <string>

namespace ablate::cli {

// Parses argv (argv[0] is the program) and runs the subcommand; `version` is what --version prints.
int run_cli(int argc, char** argv, const std::string& version);

}  // namespace ablate::cli
