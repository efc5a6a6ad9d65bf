#include "experiments/gate/baseline.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "core/video_hash.h"
#include "experiments/common/output_folder.h"

namespace ablate {
namespace fs = std::filesystem;

const BaselineEntry* BaselineFile::find(const std::string& key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

namespace {

template <typename T>
T field(const nlohmann::json& j, const char* key, const std::string& where) {
  ABLATE_USAGE_CHECK(j.is_object() && j.contains(key), where, ": missing field '", key, "'");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw UsageError(where + "." + key + ": wrong type (" + j.at(key).dump().substr(0, 80) + ")");
  }
}

}  // namespace

BaselineFile read_baseline(const std::string& path) {
  std::ifstream f(path);
  ABLATE_USAGE_CHECK(f.good(), path, ": cannot read the baseline file (does it exist? `ablate lock` writes one)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError(path + ": corrupted baseline (not valid JSON): " + e.what());
  }
  ABLATE_USAGE_CHECK(j.is_object() && j.value("schema", "") == kBaselineSchema, path, ": expected schema \"",
                     kBaselineSchema, "\", found ", j.is_object() && j.contains("schema") ? j["schema"].dump() : "none");
  BaselineFile out;
  out.path = path;
  out.matrix = field<nlohmann::json>(j, "matrix", path);
  const auto entries = field<nlohmann::json>(j, "entries", path);
  ABLATE_USAGE_CHECK(entries.is_array(), path, ".entries: expected a list");
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string where = path + ".entries[" + std::to_string(i) + "]";
    const auto& e = entries[i];
    BaselineEntry b;
    b.fingerprint = field<nlohmann::json>(e, "fingerprint", where);
    b.key = field<std::string>(e, "key", where);
    b.md5 = field<std::string>(e, "md5", where);
    b.hash_chain = field<std::vector<std::string>>(e, "hash_chain", where);
    b.steps_per_chunk = field<int64_t>(e, "steps_per_chunk", where);
    b.video_file = field<std::string>(e, "video_file", where);
    b.video_shape = field<std::vector<int64_t>>(e, "video_shape", where);
    b.video_sha256 = field<std::string>(e, "video_sha256", where);
    b.tiers = field<nlohmann::json>(e, "tiers", where);
    ABLATE_USAGE_CHECK(b.md5.size() == 32, where, ".md5: expected 32 hex digits, found '", b.md5, "'");
    ABLATE_USAGE_CHECK(b.video_shape.size() == 4 && b.video_shape[3] == 3, where,
                       ".video_shape: expected [F, H, W, 3]");
    out.entries.push_back(std::move(b));
  }
  return out;
}

void write_baseline(const BaselineFile& file, const BaselineEntry& updated, const torch::Tensor& video_u8) {
  const fs::path dir = fs::absolute(fs::path(file.path)).parent_path();
  const auto c = video_u8.contiguous().cpu();
  write_file_atomically((dir / updated.video_file).string(),
                        std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), static_cast<size_t>(c.numel())));
  nlohmann::json j{{"schema", kBaselineSchema}, {"matrix", file.matrix}, {"entries", nlohmann::json::array()}};
  bool replaced = false;
  auto to_json = [](const BaselineEntry& e) {
    return nlohmann::json{{"fingerprint", e.fingerprint}, {"key", e.key}, {"md5", e.md5},
                          {"hash_chain", e.hash_chain}, {"steps_per_chunk", e.steps_per_chunk},
                          {"video_file", e.video_file}, {"video_shape", e.video_shape},
                          {"video_sha256", e.video_sha256}, {"tiers", e.tiers}};
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

torch::Tensor read_baseline_video(const BaselineFile& file, const BaselineEntry& e) {
  const fs::path p = fs::absolute(fs::path(file.path)).parent_path() / e.video_file;
  std::ifstream f(p, std::ios::binary);
  ABLATE_USAGE_CHECK(f.good(), file.path, ": the locked video ", p.string(), " is missing");
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ABLATE_USAGE_CHECK(sha256_hex(bytes) == e.video_sha256, file.path, ": the locked video ", p.string(),
                     " is corrupted (SHA-256 ", sha256_hex(bytes).substr(0, 16), "..., expected ",
                     e.video_sha256.substr(0, 16), "...)");
  int64_t n = 1;
  for (auto d : e.video_shape) n *= d;
  ABLATE_USAGE_CHECK(static_cast<int64_t>(bytes.size()) == n, file.path, ": the locked video has ", bytes.size(),
                     " bytes, expected ", n);
  auto t = torch::empty(e.video_shape, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  return t;
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
