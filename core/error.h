// Errors: UsageError for bad input (the CLI maps it to exit code 2); TORCH_CHECK-style checks for
// invariants. Messages say what was expected and what was found.
#pragma once
#include <c10/util/Exception.h>
#include <c10/util/StringUtil.h>

#include <stdexcept>
#include <string>

namespace ablate {

// Bad input from the user (flags, files, fields): exit code 2, nothing run.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ablate

// Throws ablate::UsageError with the message parts joined (c10::str) when cond is false.
#define ABLATE_USAGE_CHECK(cond, ...)                           \
  do {                                                          \
    if (!(cond)) throw ::ablate::UsageError(::c10::str(__VA_ARGS__)); \
  } while (0)
