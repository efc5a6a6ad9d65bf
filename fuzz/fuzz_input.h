// What every fuzz target shares: its registration (all targets are in one binary, ablate_fuzz,
// run as fuzz_<name>), the input as a scratch file (the readers take paths), the input decoded
// into a JSON tree of any shape, and the one rule for what may escape a parser.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"

namespace ablate::fuzz {

/// One fuzz target: libFuzzer's TestOneInput for one reader (0, or -1 to keep an input out of the
/// corpus).
using TestOneInput = int (*)(const uint8_t* data, size_t size);

/// Adds a target under `name` (fuzz_main.cpp picks it by the program's name, fuzz_<name>).
bool register_target(const char* name, TestOneInput test);

/// Writes the input to this process's scratch file for `target` ($TMPDIR or /tmp) and returns its
/// path. The same path every call, so a run leaves one file per target and process.
std::string write_scratch(const char* target, const uint8_t* data, size_t size);

/// The input read as CBOR: a JSON value of any structure the mutator reaches (keys, types, nesting)
/// without going through JSON text. nullopt when the bytes are not CBOR, or when the value holds
/// what JSON text cannot (binary values, NaN or infinite numbers, strings that are not UTF-8), so
/// targets see what a JSON file can hold only.
std::optional<nlohmann::json> json_tree(const uint8_t* data, size_t size);

/// Sends std::cerr (the readers' warnings, e.g. a torn ledger line) to nowhere; sanitizer and
/// libFuzzer reports write to fd 2 directly and still show.
void silence_cerr();

/// Runs `parse`: a UsageError is the documented answer to bad input and is swallowed; any other
/// exception leaves the target, std::terminate aborts, and libFuzzer records a crash.
template <class Parse>
void usage_errors_only(Parse&& parse) {
  try {
    parse();
  } catch (const UsageError&) {
  }
}

/// A property a parser must keep (e.g. a parsed spec reads back the same); aborts with `what`
/// on stderr, which libFuzzer records as a crash.
void require(bool ok, const char* what);

}  // namespace ablate::fuzz

/// At namespace scope in a target's file: registers `test` as the target `name`.
#define ABLATE_FUZZ_TARGET(name, test) \
  [[maybe_unused]] static const bool ablate_fuzz_target_##name = ::ablate::fuzz::register_target(#name, test);
