// What Ablate is doing, for error messages: an OperationScope names the current operation
// ("building the tiny pipeline", "generating request 3"); when an exception leaves scopes, the
// scopes it crossed are recorded, innermost first, so the CLI can say "while ..." in one line.
#pragma once
#include <exception>
#include <string>
#include <vector>

namespace ablate {

class OperationScope {
 public:
  explicit OperationScope(std::string what);
  ~OperationScope();
  OperationScope(const OperationScope&) = delete;
  OperationScope& operator=(const OperationScope&) = delete;

 private:
  std::string what_;
  int uncaught_at_start_;
};

// The operations the last escaping exception crossed, innermost first (empty when none).
const std::vector<std::string>& failed_operations();

// "while writing the outputs, during generating request 0 in run 1": the innermost failed
// operation, then the outer ones; "" when none was recorded.
std::string failed_operation_text();

// An exception's message in one line: for a LibTorch c10::Error its message without the C++
// backtrace, for any exception the first line of its text.
std::string error_summary(const std::exception& e);

}  // namespace ablate
