#include "core/dist/param_shards.h"

namespace ablate::dist {

ShardedUnit::ShardedUnit(std::vector<torch::Tensor> params, Communicator* comm, Residency residency,
                         GatherStream* stream)
    : params_(std::move(params)), comm_(comm), residency_(residency), stream_(stream) {
  if (residency_ == Residency::kReplicated || comm_ == nullptr || comm_->size() == 1 || params_.empty()) {
    residency_ = Residency::kReplicated;
    return;
  }
  torch::NoGradGuard no_grad;
  const auto opts = params_[0].options();
  for (const auto& p : params_) {
    TORCH_CHECK(p.scalar_type() == opts.dtype().toScalarType() && p.device() == opts.device(),
                "ShardedUnit: all parameters of a unit must share dtype and device; expected ",
                opts.dtype(), " on ", opts.device(), ", found ", p.scalar_type(), " on ", p.device());
    offsets_.push_back(numel_);
    shapes_.push_back(p.sizes().vec());
    numel_ += p.numel();
  }
  const int64_t w = comm_->size();
  padded_ = (numel_ + w - 1) / w * w;
  auto flat = torch::zeros({padded_}, opts);
  for (size_t i = 0; i < params_.size(); ++i) flat.narrow(0, offsets_[i], params_[i].numel()).copy_(params_[i].view({-1}));
  shard_ = flat.chunk(w)[comm_->rank()].clone();
  empty_ = torch::empty({0}, opts);
  drop_full();  // only the shard stays (no free event: nothing was gathered)
}

void ShardedUnit::prefetch() {
  if (gathered_ || issued_) return;
  torch::NoGradGuard no_grad;
  full_ = stream_->issue([&] {
    auto full = torch::empty({padded_}, shard_.options());
    comm_->all_gather_into(full, shard_);
    return full;
  });
  issued_ = true;
}

void ShardedUnit::gather() {
  if (gathered_) return;
  prefetch();  // issued now when it was not prefetched
  stream_->use(full_);
  issued_ = false;
  for (size_t i = 0; i < params_.size(); ++i) {
    const int64_t n = c10::multiply_integers(shapes_[i]);
    params_[i].set_data(full_.narrow(0, offsets_[i], n).view(shapes_[i]));
  }
  gathered_ = true;
}

void ShardedUnit::drop_full() {
  for (auto& p : params_) p.set_data(empty_);
  full_ = torch::Tensor();
  gathered_ = false;
}

void ShardedUnit::release() {
  if (!gathered_ || residency_ == Residency::kReplicated) return;
  drop_full();
  stream_->freed();
}

ParamShards::ParamShards(std::vector<std::vector<torch::Tensor>> units, Communicator* comm, Residency residency,
                         bool prefetch_next)
    : stream_(make_gather_stream(comm ? comm->device() : torch::Device(torch::kCPU))),
      residency_(residency),
      prefetch_next_(prefetch_next) {
  for (auto& u : units) units_.emplace_back(std::move(u), comm, residency, stream_.get());
}

void ParamShards::before(int64_t unit) {
  units_.at(static_cast<size_t>(unit + 1)).gather();
  // the root is used at both ends of a forward; blocks 0..n-1 follow it in order
  const size_t next = static_cast<size_t>(unit + 2);
  if (prefetch_next_ && next < units_.size()) units_[next].prefetch();
}

void ParamShards::after(int64_t unit) {
  // FULL_SHARD frees a block after its forward; FSDP1 never reshards the root (unit -1)
  if (residency_ == Residency::kFullShard && unit >= 0) units_.at(static_cast<size_t>(unit + 1)).release();
}

std::vector<std::vector<torch::Tensor>> units_by_block_prefix(torch::nn::Module& module, const std::string& prefix,
                                                               int64_t num_blocks) {
  std::vector<std::vector<torch::Tensor>> units(static_cast<size_t>(num_blocks + 1));
  for (const auto& item : module.named_parameters()) {
    const std::string& name = item.key();
    size_t unit = 0;
    if (name.rfind(prefix + ".", 0) == 0) {
      const auto rest = name.substr(prefix.size() + 1);
      unit = static_cast<size_t>(std::stoll(rest.substr(0, rest.find('.')))) + 1;
    }
    units.at(unit).push_back(item.value());
  }
  return units;
}

}  // namespace ablate::dist
