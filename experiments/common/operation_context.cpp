#include "experiments/common/operation_context.h"

#include <c10/util/Exception.h>

#include <exception>

namespace ablate {
namespace operation_context {

thread_local std::vector<std::string> g_failed;  // innermost first
thread_local bool g_recording = false;           // an exception is unwinding through scopes

}  // namespace operation_context

OperationScope::OperationScope(std::string what)
    : what_(std::move(what)), uncaught_at_start_(std::uncaught_exceptions()) {
  // a new operation starts: a failure recorded earlier was handled
  if (uncaught_at_start_ == 0) {
    operation_context::g_failed.clear();
    operation_context::g_recording = false;
  }
}

OperationScope::~OperationScope() {
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    if (!operation_context::g_recording) operation_context::g_failed.clear();
    operation_context::g_recording = true;
    operation_context::g_failed.push_back(what_);
  } else {
    operation_context::g_recording = false;
  }
}

const std::vector<std::string>& failed_operations() { return operation_context::g_failed; }

std::string failed_operation_text() {
  const auto& ops = operation_context::g_failed;
  if (ops.empty()) return "";
  std::string out = "while " + ops.front();
  for (size_t i = 1; i < ops.size(); ++i) out += ", during " + ops[i];
  return out;
}

std::string error_summary(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  const std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  return text.substr(0, text.find('\n'));
}

}  // namespace ablate
