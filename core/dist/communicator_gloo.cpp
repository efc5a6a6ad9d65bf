// Gloo (CPU builds with libgloo-dev): the CPU backend of Communicator. LibTorch 1.13's Gloo has no
// bfloat16 (nor int16); the collectives here only copy bytes (no reductions), so bf16 tensors
// travel as float16 views of the same bits.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "core/dist/c10d_backend.h"

namespace ablate::dist {
namespace gloo_bits {

// A bf16 tensor as float16 with the same bytes (never computed on); any other tensor as it is.
torch::Tensor movable(const torch::Tensor& t) { return t.scalar_type() == torch::kBFloat16 ? t.view(torch::kHalf) : t; }

class Bf16AsHalf : public Backend {
 public:
  explicit Bf16AsHalf(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}
  const char* name() const override { return inner_->name(); }
  void all_to_all(torch::Tensor& out, torch::Tensor& in) override {
    auto o = movable(out), i = movable(in);
    inner_->all_to_all(o, i);
  }
  void all_gather_flat(torch::Tensor& out, torch::Tensor& in) override {
    auto o = movable(out), i = movable(in);
    inner_->all_gather_flat(o, i);
  }
  std::function<void()> all_gather_flat_async(torch::Tensor& out, torch::Tensor& in) override {
    auto o = movable(out), i = movable(in);
    return inner_->all_gather_flat_async(o, i);  // the inner backend keeps its views alive
  }
  void broadcast(torch::Tensor& t, int root) override {
    auto v = movable(t);
    inner_->broadcast(v, root);
  }
  void barrier() override { inner_->barrier(); }

 private:
  std::unique_ptr<Backend> inner_;
};

}  // namespace gloo_bits

std::unique_ptr<Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout) {
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, opts);
  return std::make_unique<gloo_bits::Bf16AsHalf>(
      std::make_unique<C10dBackend<c10d::ProcessGroupGloo>>(pg, "gloo", /*has_allgather_base=*/false));
}

}  // namespace ablate::dist
