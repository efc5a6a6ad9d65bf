// check_checkpoint and load_checkpoint: files and keys against the preset, then mapped copies
// into the modules (whole, or this rank's parameter shards), one file at a time.
#include "core/io/checkpoint.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <unordered_map>

#include "core/dist/param_shards.h"
#include "core/dit/wan_model.h"
#include "core/error.h"
#include "core/io/checkpoint_source.h"
#include "core/text/t5_encoder.h"
#include "core/vae/wan_vae.h"

namespace ablate::io {
namespace {

constexpr size_t kListCap = 10;  // keys listed per kind of problem; the total is always given

std::string shape_text(const std::vector<int64_t>& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

std::string dtype_text(const StoredTensor& t) {
  return t.dtype_name + " (" + std::string(c10::toString(t.dtype)) + ")";
}

// "3 missing keys: a [2], b [3], c [4]" with at most kListCap names.
std::string key_list(const char* what, const std::vector<std::string>& keys) {
  std::ostringstream os;
  os << keys.size() << " " << what << (keys.size() == 1 ? "" : "s") << ": ";
  for (size_t i = 0; i < keys.size() && i < kListCap; ++i) os << (i ? ", " : "") << keys[i];
  if (keys.size() > kListCap) os << ", ... (" << keys.size() - kListCap << " more)";
  return os.str();
}

// Problems of one source against the expected keys, one line each (empty: it matches).
std::vector<std::string> compare(const TensorSource& source, const std::vector<ExpectedTensor>& expected) {
  std::vector<std::string> lines, missing, unexpected;
  std::map<std::string, const ExpectedTensor*> wanted;
  for (const auto& e : expected) wanted[e.key] = &e;
  for (const auto& t : source.tensors()) {
    auto it = wanted.find(t.key);
    if (it == wanted.end()) {
      unexpected.push_back("'" + t.key + "' " + shape_text(t.shape));
      continue;
    }
    if (t.shape != it->second->shape) {
      lines.push_back(t.file + ": key '" + t.key + "': expected shape " + shape_text(it->second->shape) + ", found " +
                      shape_text(t.shape));
    }
    if (!is_floating_weight_dtype(t.dtype)) {
      lines.push_back(t.file + ": key '" + t.key + "': dtype " + dtype_text(t) +
                      " is not a floating dtype; weights must be float32, float16, bfloat16 or float64");
    }
  }
  for (const auto& e : expected) {
    if (source.find(e.key) == nullptr) missing.push_back("'" + e.key + "' " + shape_text(e.shape));
  }
  if (!missing.empty()) lines.insert(lines.begin(), source.describe() + ": " + key_list("missing key", missing));
  if (!unexpected.empty()) lines.push_back(source.describe() + ": " + key_list("unexpected key", unexpected));
  return lines;
}

// Where each parameter goes when only this rank's shards are kept.
struct ShardTarget {
  size_t unit = 0;
  int64_t offset = 0;  // in the unit's flat parameter
};

class GroupLoader {
 public:
  GroupLoader(TensorSource& source, torch::nn::Module& module, LoadResult& result)
      : source_(source), module_(module), result_(result) {}

  // Whole parameters.
  void load_full() {
    std::unordered_map<std::string, torch::Tensor> params;
    for (const auto& item : module_.named_parameters()) params.emplace(item.key(), item.value());
    run(params, [&](const StoredTensor& t, const torch::Tensor& view) {
      params.at(t.key).copy_(view);
      result_.bytes_read += t.nbytes();
    });
  }

  // This rank's slice of each unit's flat parameter, as dist::ShardedUnit lays it out.
  std::vector<torch::Tensor> load_shards(int64_t num_blocks, int rank, int world,
                                         const std::optional<torch::Device>& device) {
    auto units = dist::units_by_block_prefix(module_, "blocks", num_blocks);
    std::unordered_map<const void*, ShardTarget> where;  // by TensorImpl: the units' own split
    std::vector<torch::Tensor> shards;
    std::vector<int64_t> begin;
    for (size_t u = 0; u < units.size(); ++u) {
      int64_t numel = 0;
      for (const auto& p : units[u]) {
        where[p.unsafeGetTensorImpl()] = {u, numel};
        numel += p.numel();
      }
      const int64_t chunk = dist::shard_numel(numel, world);  // padded / world
      auto opts = units[u].empty() ? torch::TensorOptions() : units[u][0].options();
      if (device) opts = opts.device(*device);
      shards.push_back(torch::zeros({units[u].empty() ? 0 : chunk}, opts));
      begin.push_back(chunk * rank);
    }
    std::unordered_map<std::string, torch::Tensor> params;
    std::unordered_map<std::string, ShardTarget> targets;
    for (const auto& item : module_.named_parameters()) {
      params.emplace(item.key(), item.value());
      targets[item.key()] = where.at(item.value().unsafeGetTensorImpl());
    }
    run(params, [&](const StoredTensor& t, const torch::Tensor& view) {
      const ShardTarget& target = targets.at(t.key);
      auto& shard = shards[target.unit];
      const int64_t s = begin[target.unit], e = s + shard.numel();
      const int64_t lo = std::max(s, target.offset), hi = std::min(e, target.offset + t.numel());
      if (lo >= hi) return;  // no element of this tensor is ours: its pages are never touched
      shard.narrow(0, lo - s, hi - lo).copy_(view.reshape({-1}).narrow(0, lo - target.offset, hi - lo));
      result_.bytes_read += (hi - lo) * static_cast<int64_t>(c10::elementSize(t.dtype));
    });
    return shards;
  }

 private:
  // Visits the stored tensors in file order, one file at a time: view, copy, hand the pages back,
  // unmap each file after its last tensor.
  template <typename Copy>
  void run(const std::unordered_map<std::string, torch::Tensor>& params, Copy copy) {
    std::vector<const StoredTensor*> order;
    for (const auto& t : source_.tensors()) order.push_back(&t);
    std::sort(order.begin(), order.end(), [](const StoredTensor* a, const StoredTensor* b) {
      return a->file != b->file ? a->file < b->file : a->offset < b->offset;
    });
    for (const auto& [name, p] : params) {
      ABLATE_USAGE_CHECK(source_.find(name) != nullptr, source_.describe(), ": missing key '", name, "'");
    }
    std::string open_file;
    for (const StoredTensor* t : order) {
      auto it = params.find(t->key);
      if (it == params.end()) continue;  // unexpected keys were refused by the check
      if (t->file != open_file) {
        if (!open_file.empty()) source_.close(open_file);
        open_file = t->file;
        ++result_.files;
      }
      ABLATE_USAGE_CHECK(t->shape == it->second.sizes().vec(), t->file, ": key '", t->key, "': expected shape ",
                         shape_text(it->second.sizes().vec()), ", found ", shape_text(t->shape));
      ABLATE_USAGE_CHECK(is_floating_weight_dtype(t->dtype), t->file, ": key '", t->key, "': dtype ", dtype_text(*t),
                         " is not a floating dtype");
      {
        const torch::Tensor view = source_.view(t->key);
        copy(*t, view);
      }
      source_.release(t->key);
      ++result_.tensors_read;
    }
    if (!open_file.empty()) source_.close(open_file);
  }

  TensorSource& source_;
  torch::nn::Module& module_;
  LoadResult& result_;
};

}  // namespace

void check_checkpoint(const std::string& dir, const ModelConfig& config, const CheckpointSpec& spec) {
  ABLATE_USAGE_CHECK(path_exists(dir), "checkpoint folder ", dir, " does not exist");
  const std::string folder = dit_folder(dir);
  const std::string index = folder + "/" + kDitWeightsBase + ".safetensors.index.json";
  const std::string single = folder + "/" + kDitWeightsBase + ".safetensors";
  std::vector<std::string> missing;
  if (!path_exists(dit_config_path(dir))) missing.push_back(dit_config_path(dir));
  if (!path_exists(index) && !path_exists(single)) missing.push_back(single + " (or " + index + " and its shards)");
  if (!path_exists(t5_path(dir))) missing.push_back(t5_path(dir));
  if (!path_exists(vae_path(dir))) missing.push_back(vae_path(dir));
  if (!missing.empty()) {
    std::string text =
        "checkpoint " + dir + " lacks " + std::to_string(missing.size()) + " file(s) of the reference's layout:";
    for (const auto& m : missing) text += "\n  " + m;
    throw UsageError(text);
  }
  check_dit_config(dit_config_path(dir), config);
  std::vector<std::string> lines;
  auto add = [&](std::unique_ptr<TensorSource> source, const std::vector<ExpectedTensor>& expected) {
    const auto found = compare(*source, expected);
    lines.insert(lines.end(), found.begin(), found.end());
  };
  add(open_safetensors_folder(folder, kDitWeightsBase), spec.dit);
  add(open_torch_archive(t5_path(dir)), spec.t5);
  add(open_torch_archive(vae_path(dir)), spec.vae);
  if (!lines.empty()) {
    std::string text = "checkpoint " + dir + " does not match preset '" + config.name + "':";
    for (const auto& l : lines) text += "\n  " + l;
    throw UsageError(text);
  }
}

void check_checkpoint(const std::string& dir, const ModelConfig& config) {
  check_checkpoint(dir, config, checkpoint_spec(config));
}

LoadResult load_checkpoint(const std::string& dir, const CheckpointModules& modules, const LoadOptions& options) {
  TORCH_CHECK(modules.dit && modules.t5 && modules.vae, "load_checkpoint: all three modules are needed");
  TORCH_CHECK(options.world_size >= 1 && options.rank >= 0 && options.rank < options.world_size,
              "load_checkpoint: rank ", options.rank, " is not in a world of ", options.world_size);
  torch::NoGradGuard no_grad;
  LoadResult result;
  const bool sharded = options.world_size > 1;
  {
    auto source = open_torch_archive(t5_path(dir));
    GroupLoader loader(*source, *modules.t5, result);
    if (sharded && options.shard_t5) {
      result.t5_shards = loader.load_shards(modules.t5->options.num_layers(), options.rank, options.world_size,
                                            options.shard_device);
    } else {
      loader.load_full();
    }
  }
  {
    auto source = open_torch_archive(vae_path(dir));
    GroupLoader(*source, *modules.vae, result).load_full();
  }
  {
    auto source = open_safetensors_folder(dit_folder(dir), kDitWeightsBase);
    GroupLoader loader(*source, *modules.dit, result);
    if (sharded && options.shard_dit) {
      result.dit_shards = loader.load_shards(modules.dit->num_layers(), options.rank, options.world_size,
                                             options.shard_device);
    } else {
      loader.load_full();
    }
  }
  return result;
}

}  // namespace ablate::io
