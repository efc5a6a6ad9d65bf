// The one helper for tests that run a program: the built `ablate` binary (or any shell command)
// with its exit code, combined stdout + stderr and wall time, and scratch folders and files.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <cstdio>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "experiments/cli/entry.h"

namespace ablate::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
  double seconds = 0;
};

// Runs `command` with bash -c (quote inner single quotes yourself), stderr folded into the output.
inline CommandResult run_shell(const std::string& command) {
  CommandResult result;
  const auto t0 = std::chrono::steady_clock::now();
  std::string quoted = "'";
  for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  FILE* pipe = popen(("bash -c " + quoted + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

inline const std::string& ablate_binary() {
  static const std::string path = std::string(ABLATE_BINARY_DIR) + "/experiments/ablate";
  return path;
}

inline CommandResult run_ablate(const std::string& args) { return run_shell(ablate_binary() + " " + args); }

// `ablate <args>` run in this process (ablate::cli::run_cli): the same exit code and combined
// output as run_ablate without a process start and LibTorch load (~1 s each). `args` is split as
// bash splits it. Not for commands that start processes of `ablate` (launch, run --devices): those
// would start this test binary.
inline CommandResult run_ablate_in_process(const std::string& args) {
  CommandResult result;
  const auto words = run_shell("printf '%s\\0' " + args).output;
  std::vector<std::string> storage{"ablate"};
  for (size_t at = 0, end; (end = words.find('\0', at)) != std::string::npos; at = end + 1)
    storage.push_back(words.substr(at, end - at));
  std::vector<char*> argv;
  for (auto& w : storage) argv.push_back(w.data());
  argv.push_back(nullptr);
  char path[] = "/tmp/ablate-cli-output-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("run_ablate_in_process: cannot make a temporary file");
  std::cout.flush();
  std::fflush(nullptr);
  const int saved_out = ::dup(1), saved_err = ::dup(2);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    result.exit_code = ablate::cli::run_cli(static_cast<int>(storage.size()), argv.data(), "ablate (in process)\n");
  } catch (const std::exception& e) {
    std::cerr << "uncaught exception: " << e.what() << "\n";
    result.exit_code = -1;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout.flush();
  std::fflush(nullptr);
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  ::close(saved_out);
  ::close(saved_err);
  ::close(fd);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  result.output = ss.str();
  ::unlink(path);
  return result;
}

// In process unless `args` may start processes of `ablate` (launch, --devices, --gpus).
inline CommandResult run_ablate_quick(const std::string& args) {
  const bool spawns = args.rfind("launch", 0) == 0 || args.find("--devices") != std::string::npos ||
                      args.find("--gpus") != std::string::npos;
  return spawns ? run_ablate(args) : run_ablate_in_process(args);
}

// `ablate <args>` must exit 2 (bad input, nothing run) with `needle` in its output.
inline void expect_usage_error(const std::string& args, const std::string& needle) {
  const auto r = run_ablate_quick(args);
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << args << "\n" << r.output;
}

// The message of the UsageError `f` throws (a reader's one answer to bad input), or
// "(no UsageError)" when it throws none.
inline std::string usage_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

// The video MD5 `ablate generate` printed ("md5: <32 hex>", rank 0's line under launch); "" when none.
inline std::string printed_md5(const std::string& output) {
  const auto at = output.find("md5: ");
  return at == std::string::npos ? std::string() : output.substr(at + 5, 32);
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("could not write " + path);
}

inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

// A JSONL file (a ledger) as written: one JSON object per non-empty line.
inline std::vector<nlohmann::json> read_json_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(read_text(path));
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// A fresh folder under the build tree, emptied first (for outputs a test inspects).
inline std::string fresh_dir(const std::string& name) {
  const std::string d = std::string(ABLATE_BINARY_DIR) + "/test-out/" + name;
  run_shell("rm -rf '" + d + "' && mkdir -p '" + d + "'");
  return d;
}

// A new folder under gtest's temp dir, one per call (tests may run in parallel under ctest).
inline std::string make_scratch_dir(const std::string& prefix) {
  std::string pattern = ::testing::TempDir() + prefix + "XXXXXX";
  const char* dir = mkdtemp(pattern.data());
  if (dir == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  return std::string(dir);
}

// The first of `names` found on PATH, or "" when none is.
inline std::string find_program(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const CommandResult r = run_shell(std::string("command -v ") + name);
    if (r.exit_code == 0 && !r.output.empty()) return r.output.substr(0, r.output.find('\n'));
  }
  return "";
}

}  // namespace ablate::testing
