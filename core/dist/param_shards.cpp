#include "core/dist/param_shards.h"

namespace ablate::dist {

int64_t shard_numel(int64_t unit_numel, int world) { return (unit_numel + world - 1) / world; }

bool ShardedUnit::lay_out() {
  if (residency_ == Residency::kReplicated || comm_ == nullptr || comm_->size() == 1 || params_.empty()) {
    residency_ = Residency::kReplicated;
    return false;
  }
  const auto opts = params_[0].options();
  for (const auto& p : params_) {
    TORCH_CHECK(p.scalar_type() == opts.dtype().toScalarType() && p.device() == opts.device(),
                "ShardedUnit: all parameters of a unit must share dtype and device; expected ",
                opts.dtype(), " on ", opts.device(), ", found ", p.scalar_type(), " on ", p.device());
    offsets_.push_back(numel_);
    shapes_.push_back(p.sizes().vec());
    numel_ += p.numel();
  }
  padded_ = shard_numel(numel_, comm_->size()) * comm_->size();
  empty_ = torch::empty({0}, opts);
  return true;
}

ShardedUnit::ShardedUnit(std::vector<torch::Tensor> params, Communicator* comm, Residency residency,
                         GatherStream* stream)
    : params_(std::move(params)), comm_(comm), residency_(residency), stream_(stream) {
  if (!lay_out()) return;
  torch::NoGradGuard no_grad;
  auto flat = torch::zeros({padded_}, empty_.options());
  for (size_t i = 0; i < params_.size(); ++i) flat.narrow(0, offsets_[i], params_[i].numel()).copy_(params_[i].view({-1}));
  shard_ = flat.chunk(comm_->size())[comm_->rank()].clone();
  drop_full();  // only the shard stays (no free event: nothing was gathered)
}

ShardedUnit::ShardedUnit(std::vector<torch::Tensor> params, torch::Tensor shard, Communicator* comm,
                         Residency residency, GatherStream* stream)
    : params_(std::move(params)), comm_(comm), residency_(residency), stream_(stream) {
  TORCH_CHECK(residency != Residency::kReplicated, "ShardedUnit: a replicated unit needs its full parameters, "
              "not a shard");
  if (!lay_out()) return;  // a world of one, or a unit without parameters
  const int64_t n = padded_ / comm_->size();
  TORCH_CHECK(shard.defined(), "ShardedUnit: rank ", comm_->rank(), " got no shard for a unit of ", numel_, " elements");
  TORCH_CHECK(shard.dim() == 1 && shard.numel() == n && shard.scalar_type() == empty_.scalar_type(),
              "ShardedUnit: rank ", comm_->rank(), "'s shard of a unit of ", numel_, " elements must be [", n, "] ",
              empty_.scalar_type(), "; found ", shard.sizes(), " ", shard.scalar_type());
  empty_ = torch::empty({0}, shard.options());  // the parameters follow the shard's device
  shard_ = std::move(shard);
  drop_full();
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

ParamShards::ParamShards(std::vector<std::vector<torch::Tensor>> units, std::vector<torch::Tensor> shards,
                         Communicator* comm, Residency residency, bool prefetch_next)
    : stream_(make_gather_stream(comm ? comm->device() : torch::Device(torch::kCPU))),
      residency_(residency),
      prefetch_next_(prefetch_next) {
  TORCH_CHECK(shards.size() == units.size(), "ParamShards: ", shards.size(), " shards for ", units.size(), " units");
  for (size_t u = 0; u < units.size(); ++u)
    units_.emplace_back(std::move(units[u]), std::move(shards[u]), comm, residency, stream_.get());
}

int64_t ParamShards::shard_bytes() const {
  int64_t bytes = 0;
  for (const auto& u : units_) bytes += u.shard_bytes();
  return bytes;
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
