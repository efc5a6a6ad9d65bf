// Backend over a c10d process-group class (ProcessGroupGloo, ProcessGroupNCCL): the methods used
// exist with the same signatures in LibTorch 1.13 (ProcessGroup) and 2.x (Backend).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/dist/backend.h"

namespace ablate::dist {

template <typename ProcessGroupT>
class C10dBackend : public Backend {
 public:
  // device_index >= 0: the GPU barriers run on (NCCL); -1 for CPU backends
  C10dBackend(c10::intrusive_ptr<ProcessGroupT> pg, const char* name, bool has_allgather_base, int device_index = -1)
      : pg_(std::move(pg)), name_(name), has_allgather_base_(has_allgather_base), device_index_(device_index) {}

  const char* name() const override { return name_; }

  void all_to_all(torch::Tensor& out, torch::Tensor& in) override {
    std::vector<int64_t> equal_splits;  // empty: equal splits along dim 0
    pg_->alltoall_base(out, in, equal_splits, equal_splits)->wait();
  }

  void all_gather_flat(torch::Tensor& out, torch::Tensor& in) override { all_gather_flat_async(out, in)(); }

  std::function<void()> all_gather_flat_async(torch::Tensor& out, torch::Tensor& in) override {
    if (has_allgather_base_) {
      auto work = pg_->_allgather_base(out, in);
      return [work] { work->wait(); };
    }
    // Gloo has no _allgather_base: gather into the w slices of `out` (kept alive until the wait)
    auto outputs = std::make_shared<std::vector<std::vector<torch::Tensor>>>(1, out.chunk(pg_->getSize()));
    auto inputs = std::make_shared<std::vector<torch::Tensor>>(1, in);
    auto work = pg_->allgather(*outputs, *inputs);
    return [work, outputs, inputs] { work->wait(); };
  }

  void broadcast(torch::Tensor& t, int root) override {
    std::vector<torch::Tensor> tensors{t};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    pg_->broadcast(tensors, opts)->wait();
  }

  void barrier() override {
    c10d::BarrierOptions opts;
    if (device_index_ >= 0) opts.device_ids = {device_index_};
    pg_->barrier(opts)->wait();
  }

 private:
  c10::intrusive_ptr<ProcessGroupT> pg_;
  const char* name_;
  bool has_allgather_base_;
  int device_index_;
};

}  // namespace ablate::dist
