#include "experiments/gate/baseline.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/video_hash.h"
#include "experiments/common/json_fields.h"
#include "experiments/common/output_folder.h"

namespace ablate {
namespace fs = std::filesystem;

const BaselineEntry* BaselineFile::find(const std::string& key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

GateReference BaselineEntry::reference(const std::string& source, const torch::Tensor& video_u8,
                                       const torch::Tensor& latents) const {
  GateReference r;
  r.latents = latents;
  r.source = source;
  r.md5s = request_md5s.empty() ? std::vector<std::string>{md5} : request_md5s;
  r.chains = request_chains.empty() ? std::vector<std::vector<std::string>>{hash_chain} : request_chains;
  r.video_u8 = video_u8;
  r.steps_per_chunk = steps_per_chunk;
  return r;
}

namespace {

void check_md5(const JsonFields& f, const std::string& key, const std::string& md5) {
  f.check(md5.size() == 32 && md5.find_first_not_of("0123456789abcdef") == std::string::npos, key,
          "an MD5 of 32 lower-case hex digits", md5);
}

BaselineEntry parse_entry(const JsonFields& e) {
  BaselineEntry b;
  e.allow_only({"fingerprint", "key", "md5", "hash_chain", "steps_per_chunk", "video_file", "video_shape",
                "video_sha256", "tiers", "request_md5s", "request_chains", "latents_file", "latents_shape",
                "latents_sha256"});
  b.fingerprint = e.object("fingerprint").json();
  b.key = e.string("key");
  e.check(b.key.size() == 16 && b.key.find_first_not_of("0123456789abcdef") == std::string::npos, "key",
          "a fingerprint key of 16 lower-case hex digits", b.key);
  b.md5 = e.string("md5");
  check_md5(e, "md5", b.md5);
  b.hash_chain = e.strings("hash_chain");
  e.check(!b.hash_chain.empty(), "hash_chain", "a non-empty list of step hashes", nlohmann::json(b.hash_chain));
  b.steps_per_chunk = e.integer("steps_per_chunk");
  e.check(b.steps_per_chunk >= 1, "steps_per_chunk", "an integer >= 1", b.steps_per_chunk);
  b.video_file = e.string("video_file");
  e.check(!b.video_file.empty() && b.video_file.find('/') == std::string::npos && b.video_file.find("..") == std::string::npos,
          "video_file", "a file name beside the baseline file", b.video_file);
  b.video_shape = e.integers("video_shape");
  e.check(b.video_shape.size() == 4 && b.video_shape[3] == 3 &&
              std::all_of(b.video_shape.begin(), b.video_shape.end(), [](int64_t d) { return d > 0 && d < (1 << 20); }),
          "video_shape", "[F, H, W, 3] with positive sizes", b.video_shape);
  b.video_sha256 = e.string("video_sha256");
  e.check(b.video_sha256.size() == 64 && b.video_sha256.find_first_not_of("0123456789abcdef") == std::string::npos,
          "video_sha256", "a SHA-256 of 64 lower-case hex digits", b.video_sha256);
  b.tiers = e.string_map("tiers");
  for (const auto& [id, tier] : b.tiers) e.check(tier == "A" || tier == "B", "tiers." + id, "\"A\" or \"B\"", tier);
  if (e.has("latents_file")) {
    b.latents_file = e.string("latents_file");
    e.check(!b.latents_file.empty() && b.latents_file.find('/') == std::string::npos &&
                b.latents_file.find("..") == std::string::npos,
            "latents_file", "a file name beside the baseline file", b.latents_file);
    b.latents_shape = e.integers("latents_shape");
    e.check(!b.latents_shape.empty() && b.latents_shape.size() <= 5 &&
                std::all_of(b.latents_shape.begin(), b.latents_shape.end(), [](int64_t d) { return d > 0 && d < (1 << 20); }),
            "latents_shape", "1 to 5 positive sizes", b.latents_shape);
    b.latents_sha256 = e.string("latents_sha256");
    e.check(b.latents_sha256.size() == 64 && b.latents_sha256.find_first_not_of("0123456789abcdef") == std::string::npos,
            "latents_sha256", "a SHA-256 of 64 lower-case hex digits", b.latents_sha256);
  }
  if (e.has("request_md5s")) {
    b.request_md5s = e.strings("request_md5s");
    for (const auto& m : b.request_md5s) check_md5(e, "request_md5s", m);
    e.check(!b.request_md5s.empty() && b.request_md5s.front() == b.md5, "request_md5s",
            "a list starting with the entry's md5", nlohmann::json(b.request_md5s));
  }
  if (e.has("request_chains")) {
    b.request_chains = e.string_lists("request_chains");
    e.check(b.request_chains.size() == b.request_md5s.size(), "request_chains",
            "one hash chain per request of request_md5s (" + std::to_string(b.request_md5s.size()) + ")",
            b.request_chains.size());
  }
  return b;
}

}  // namespace

BaselineFile read_baseline(const std::string& path) {
  std::ifstream f(path);
  ABLATE_USAGE_CHECK(f.good(), path, ": cannot read the baseline file (does it exist? `ablate lock` writes one)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number that overflows
    throw UsageError(path + ": corrupted baseline (not valid JSON): " + e.what());
  }
  return guard_json_file(path, [&] {
    const JsonFields top(j, path);
    top.allow_only({"schema", "matrix", "entries"});
    const std::string schema = top.string("schema");
    top.check(schema == kBaselineSchema, "schema", std::string("\"") + kBaselineSchema + "\"", schema);
    BaselineFile out;
    out.path = path;
    out.matrix = top.object("matrix").json();
    ABLATE_USAGE_CHECK(top.has("entries"), top.path("entries"), ": missing (a required field)");
    const auto& entries = top.json().at("entries");
    top.check(entries.is_array(), "entries", "a list of entries", entries);
    std::set<std::string> keys;
    for (size_t i = 0; i < entries.size(); ++i) {
      out.entries.push_back(parse_entry(JsonFields(entries[i], path + ".entries[" + std::to_string(i) + "]")));
      top.check(keys.insert(out.entries.back().key).second, "entries[" + std::to_string(i) + "].key",
                "a fingerprint key no other entry has", out.entries.back().key);
    }
    return out;
  });
}

void write_baseline(const BaselineFile& file, const BaselineEntry& updated, const torch::Tensor& video_u8,
                    const torch::Tensor& latents) {
  const fs::path dir = fs::absolute(fs::path(file.path)).parent_path();
  const auto c = video_u8.contiguous().cpu();
  write_file_atomically((dir / updated.video_file).string(),
                        std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), static_cast<size_t>(c.numel())));
  if (!updated.latents_file.empty()) {
    TORCH_CHECK(latents.defined() && latents.scalar_type() == torch::kFloat,
                "write_baseline: the entry names a latents file, expected float32 latents to write");
    const auto l = latents.contiguous().cpu();
    write_file_atomically((dir / updated.latents_file).string(),
                          std::string(reinterpret_cast<const char*>(l.data_ptr<float>()), l.numel() * sizeof(float)));
  }
  nlohmann::json j{{"schema", kBaselineSchema}, {"matrix", file.matrix}, {"entries", nlohmann::json::array()}};
  bool replaced = false;
  auto to_json = [](const BaselineEntry& e) {
    nlohmann::json j{{"fingerprint", e.fingerprint}, {"key", e.key}, {"md5", e.md5},
                     {"hash_chain", e.hash_chain}, {"steps_per_chunk", e.steps_per_chunk},
                     {"video_file", e.video_file}, {"video_shape", e.video_shape},
                     {"video_sha256", e.video_sha256}, {"tiers", e.tiers}};
    if (!e.latents_file.empty()) {
      j["latents_file"] = e.latents_file;
      j["latents_shape"] = e.latents_shape;
      j["latents_sha256"] = e.latents_sha256;
    }
    if (e.request_md5s.size() > 1) {
      j["request_md5s"] = e.request_md5s;
      j["request_chains"] = e.request_chains;
    }
    return j;
  };
  for (const auto& e : file.entries) {
    if (e.key == updated.key) {
      j["entries"].push_back(to_json(updated));
      replaced = true;
    } else {
      j["entries"].push_back(to_json(e));
    }
  }
  if (!replaced) j["entries"].push_back(to_json(updated));
  write_file_atomically(file.path, j.dump(2) + "\n");
}

namespace {

// A file locked beside the baseline file, checked against its SHA-256 and its shape, as a tensor.
torch::Tensor read_locked_tensor(const BaselineFile& file, const std::string& what, const std::string& name,
                                 const std::string& sha256, const std::vector<int64_t>& shape, torch::Dtype dtype) {
  const fs::path p = fs::absolute(fs::path(file.path)).parent_path() / name;
  std::ifstream f(p, std::ios::binary);
  ABLATE_USAGE_CHECK(f.good(), file.path, ": the locked ", what, " ", p.string(), " is missing");
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ABLATE_USAGE_CHECK(sha256_hex(bytes) == sha256, file.path, ": the locked ", what, " ", p.string(),
                     " is corrupted (SHA-256 ", sha256_hex(bytes).substr(0, 16), "..., expected ",
                     sha256.substr(0, 16), "...)");
  auto t = torch::empty(shape, dtype);
  const auto n = static_cast<int64_t>(t.numel() * t.element_size());
  ABLATE_USAGE_CHECK(static_cast<int64_t>(bytes.size()) == n, file.path, ": the locked ", what, " has ", bytes.size(),
                     " bytes, expected ", n);
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

}  // namespace

torch::Tensor read_baseline_video(const BaselineFile& file, const BaselineEntry& e) {
  return read_locked_tensor(file, "video", e.video_file, e.video_sha256, e.video_shape, torch::kUInt8);
}

torch::Tensor read_baseline_latents(const BaselineFile& file, const BaselineEntry& e) {
  if (e.latents_file.empty()) return {};
  return read_locked_tensor(file, "latents file", e.latents_file, e.latents_sha256, e.latents_shape, torch::kFloat);
}

std::optional<std::pair<int64_t, int64_t>> first_divergence(const std::vector<std::string>& expected,
                                                            const std::vector<std::string>& actual,
                                                            int64_t steps_per_chunk) {
  const size_t n = std::max(expected.size(), actual.size());
  for (size_t i = 0; i < n; ++i) {
    if (i < expected.size() && i < actual.size() && expected[i] == actual[i]) continue;
    const auto s = static_cast<int64_t>(i);
    return std::make_pair(s / steps_per_chunk, s % steps_per_chunk);
  }
  return std::nullopt;
}

VideoDistance video_distance(const torch::Tensor& a, const torch::Tensor& b) {
  TORCH_CHECK(a.sizes() == b.sizes(), "video_distance: shapes differ: ", a.sizes(), " vs ", b.sizes());
  auto d = a.to(torch::kDouble) - b.to(torch::kDouble);
  VideoDistance out;
  out.max_abs = d.numel() ? static_cast<int64_t>(d.abs().max().item<double>()) : 0;
  const double mse = d.numel() ? d.pow(2).mean().item<double>() : 0.0;
  out.psnr_db = mse == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(255.0 * 255.0 / mse);
  return out;
}

std::string fingerprint_difference(const nlohmann::json& expected, const nlohmann::json& actual) {
  std::string out;
  const auto diff = nlohmann::json::diff(expected, actual);
  for (const auto& op : diff) {
    const std::string path = op.value("path", "");
    const std::string was = expected.contains(nlohmann::json::json_pointer(path))
                                ? expected.at(nlohmann::json::json_pointer(path)).dump()
                                : "absent";
    const std::string now = op.contains("value") ? op["value"].dump() : "absent";
    out += (out.empty() ? "" : "; ") + path + ": " + was + " -> " + now;
  }
  return out.empty() ? "nothing" : out;
}

}  // namespace ablate
