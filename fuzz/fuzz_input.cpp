// Scratch files, CBOR-decoded JSON trees and the abort for a broken property (fuzz_input.h).
#include "fuzz/fuzz_input.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <streambuf>
#include <vector>

namespace ablate::fuzz {

std::string write_scratch(const char* target, const uint8_t* data, size_t size) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/ablate-fuzz-" + target + "-" +
                           std::to_string(::getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();  // the harness, not the parser: stop rather than fuzz a stale file
  }
  return path;
}

namespace {

// JSON text has no binary values and no NaN / infinity; anything else CBOR gives is valid JSON.
bool representable_as_json_text(const nlohmann::json& j) {
  std::vector<const nlohmann::json*> todo{&j};
  while (!todo.empty()) {
    const nlohmann::json* v = todo.back();
    todo.pop_back();
    if (v->is_binary()) return false;
    if (v->is_number_float() && !std::isfinite(v->get<double>())) return false;
    if (v->is_structured())
      for (const auto& e : *v) todo.push_back(&e);
  }
  return true;
}

}  // namespace

std::optional<nlohmann::json> json_tree(const uint8_t* data, size_t size) {
  nlohmann::json j;
  try {
    // allow_exceptions=false still throws for an array or object length beyond max_size()
    j = nlohmann::json::from_cbor(data, data + size, /*strict=*/true, /*allow_exceptions=*/false,
                                  nlohmann::json::cbor_tag_handler_t::ignore);
    if (j.is_discarded() || !representable_as_json_text(j)) return std::nullopt;
    (void)j.dump();  // CBOR strings may hold any bytes; a JSON file's are UTF-8 (the parser checks)
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return j;
}

void silence_cerr() {
  static std::streambuf* const kNowhere = [] {
    struct NullBuffer : std::streambuf {
      int overflow(int c) override { return c; }
    };
    static NullBuffer buffer;
    return &buffer;
  }();
  std::cerr.rdbuf(kNowhere);
}

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "ablate fuzz: property broken: %s\n", what);
  std::abort();
}

}  // namespace ablate::fuzz
