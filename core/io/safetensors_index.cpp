// Index JSON (weight_map) reading/writing and the shard plan of a sharded safetensors folder.
#include "core/io/safetensors_index.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/io/checkpoint_file_util.h"
#include "core/io/safetensors.h"

namespace ablate::io {

std::vector<std::string> SafetensorsIndex::shard_files() const {
  std::set<std::string> files;
  for (const auto& [key, file] : weight_map) files.insert(file);
  return {files.begin(), files.end()};
}

SafetensorsIndex read_safetensors_index(const std::string& path) {
  std::ifstream in(path);
  ABLATE_USAGE_CHECK(in.good(), path, ": cannot open the safetensors index");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": the index does not parse as JSON (" + e.what() + ")");
  }
  ABLATE_USAGE_CHECK(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(), path,
                     ": expected an object with a \"weight_map\" object");
  SafetensorsIndex index;
  if (j.contains("metadata") && j["metadata"].is_object() && j["metadata"].contains("total_size")) {
    const auto& t = j["metadata"]["total_size"];
    ABLATE_USAGE_CHECK(t.is_number_integer() && (t.is_number_unsigned() || t.get<int64_t>() >= 0), path,
                       ": metadata.total_size must be a non-negative integer, but is ", t.dump());
    index.total_size = t.get<uint64_t>();
  }
  for (const auto& [key, file] : j["weight_map"].items()) {
    ABLATE_USAGE_CHECK(file.is_string(), path, ": weight_map entry of key '", key, "' must be a file name, but is ",
                       file.dump());
    const auto name = file.get<std::string>();
    ABLATE_USAGE_CHECK(!name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos, path,
                       ": weight_map entry of key '", key, "' names '", name,
                       "'; expected a file name in the index's folder");
    index.weight_map[key] = name;
  }
  ABLATE_USAGE_CHECK(!index.weight_map.empty(), path, ": weight_map is empty");
  return index;
}

void write_safetensors_index(const std::string& path, const SafetensorsIndex& index) {
  nlohmann::json j = {{"metadata", {{"total_size", index.total_size}}}, {"weight_map", index.weight_map}};
  const std::string text = j.dump(2) + "\n";
  FileWriter out(path);
  out.write(text.data(), text.size());
  out.commit();
}

std::string safetensors_index_name(const std::string& base) { return base + ".safetensors.index.json"; }
std::string safetensors_single_name(const std::string& base) { return base + ".safetensors"; }

std::string safetensors_shard_name(const std::string& base, int shard, int num_shards) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "-%05d-of-%05d.safetensors", shard, num_shards);
  return base + buf;
}

std::vector<std::vector<size_t>> plan_shards(const std::vector<NamedTensor>& tensors, uint64_t max_shard_bytes) {
  std::vector<std::vector<size_t>> shards;
  uint64_t current = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const uint64_t nbytes = tensors[i].stored_nbytes();
    if (shards.empty() || (!shards.back().empty() && current + nbytes > max_shard_bytes)) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(i);
    current += nbytes;
  }
  return shards;
}

std::vector<std::string> write_sharded_safetensors(const std::string& dir, const std::string& base,
                                                   const std::vector<NamedTensor>& tensors, uint64_t max_shard_bytes) {
  const auto plan = plan_shards(tensors, max_shard_bytes);
  if (plan.size() <= 1) {
    write_safetensors(dir + "/" + safetensors_single_name(base), tensors);
    return {safetensors_single_name(base)};
  }
  std::vector<std::string> written;
  SafetensorsIndex index;
  const int n = static_cast<int>(plan.size());
  for (int s = 0; s < n; ++s) {
    const std::string name = safetensors_shard_name(base, s + 1, n);
    std::vector<NamedTensor> part;
    for (size_t i : plan[static_cast<size_t>(s)]) {
      part.push_back(tensors[i]);
      index.weight_map[tensors[i].name] = name;
      index.total_size += tensors[i].stored_nbytes();
    }
    write_safetensors(dir + "/" + name, part);
    written.push_back(name);
  }
  write_safetensors_index(dir + "/" + safetensors_index_name(base), index);
  written.push_back(safetensors_index_name(base));
  return written;
}

}  // namespace ablate::io
