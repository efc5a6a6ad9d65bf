// Running the built `ablate` binary from tests: exit code and combined output.
#pragma once
#include "tests/shell_test_util.h"

#include <fstream>
#include <sstream>
#include <string>

namespace ablate::testing {

using CommandResult = ::ablate::test::CommandResult;

// (shell_test_util.h's runner: stderr folded into the output)
inline CommandResult run_shell(const std::string& cmd) { return ::ablate::test::run_command(cmd); }

inline const std::string& ablate_binary() {
  static const std::string path = std::string(ABLATE_BINARY_DIR) + "/experiments/ablate";
  return path;
}

inline CommandResult run_ablate(const std::string& args) { return run_shell(ablate_binary() + " " + args); }

inline std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A fresh folder under the build tree.
inline std::string fresh_dir(const std::string& name) {
  const std::string d = std::string(ABLATE_BINARY_DIR) + "/test-out/" + name;
  run_shell("rm -rf '" + d + "' && mkdir -p '" + d + "'");
  return d;
}

}  // namespace ablate::testing
