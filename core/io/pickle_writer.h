// The data.pkl of a state dict, written as Python's pickle (protocol 2) writes what torch.save
// gives it: an OrderedDict of tensors, each _rebuild_tensor_v2(storage as a persistent id,
// offset 0, size, contiguous stride, requires_grad False, empty OrderedDict of hooks).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ablate::io {

struct PickleTensorEntry {
  std::string name;         // state-dict key
  std::string storage_key;  // record data/<storage_key>
  torch::Dtype dtype = torch::kFloat;
  std::vector<int64_t> shape;  // contiguous, storage offset 0, storage numel = prod(shape)
};

/// The pickle bytes of OrderedDict([(name, tensor), ...]) in the given order (as torch.save of a
/// state_dict()), readable by torch.load(weights_only=True); with ordered = false a plain dict
/// (EMPTY_DICT), which LibTorch's torch::pickle_load also reads (its unpickler turns every
/// OrderedDict into None, taking it for a tensor's backward hooks).
std::string pickle_state_dict(const std::vector<PickleTensorEntry>& entries, bool ordered = true);

}  // namespace ablate::io
