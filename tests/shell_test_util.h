// Test helpers for tests that run an outside program: a scratch folder and a shell command whose
// exit code and output (stdout + stderr) the test asserts on.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace ablate::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs `command` with sh -c, stderr folded into the output.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A fresh folder under gtest's temp dir, one per call (tests may run in parallel under ctest).
inline std::string make_scratch_dir(const std::string& prefix) {
  std::string pattern = ::testing::TempDir() + prefix + "XXXXXX";
  const char* dir = mkdtemp(pattern.data());
  if (dir == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  return std::string(dir);
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("could not write " + path);
}

// The first of `names` found on PATH (as `command -v` sees it), or "" when none is.
inline std::string find_program(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const CommandResult r = run_command(std::string("command -v ") + name);
    if (r.exit_code == 0 && !r.output.empty()) return r.output.substr(0, r.output.find('\n'));
  }
  return "";
}

}  // namespace ablate::test
