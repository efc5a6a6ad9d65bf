#include "core/dist/communicator.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "core/dist/backend.h"
#include "core/dist/progress_board.h"
#include "core/error.h"
#include "profiling/nvtx.h"
#include "profiling/phase_timer.h"

namespace ablate::dist {

const char* collective_name(Collective c) {
  switch (c) {
    case Collective::kAllToAll: return "all_to_all";
    case Collective::kAllGather: return "all_gather";
    case Collective::kParamAllGather: return "param_all_gather";
    case Collective::kBroadcast: return "broadcast";
    case Collective::kBarrier: return "barrier";
    case Collective::kCount: break;
  }
  return "invalid";
}

struct Communicator::Pending {
  Collective type;
  int begin, end;
};

struct Communicator::EventState {
  std::unique_ptr<EventClock> clock;
};

Communicator::Communicator(const WorldInfo& world, torch::Device device, std::chrono::milliseconds timeout)
    : world_(world), device_(device), timeout_(timeout), events_(std::make_unique<EventState>()) {
  c10d::TCPStoreOptions store_opts;
  store_opts.port = static_cast<std::uint16_t>(world.master_port);
  store_opts.isServer = world.rank == 0;
  store_opts.numWorkers = static_cast<std::size_t>(world.size);
  store_opts.timeout = timeout;
  auto store = c10::make_intrusive<c10d::TCPStore>(world.master_addr, store_opts);
  if (device.is_cuda()) {
#if defined(ABLATE_CUDA)
    backend_ = make_nccl_backend(store, world.rank, world.size, timeout, device.has_index() ? device.index() : 0);
#endif
  } else {
#if defined(ABLATE_GLOO)
    backend_ = make_gloo_backend(store, world.rank, world.size, timeout);
#endif
  }
  ABLATE_USAGE_CHECK(backend_ != nullptr, "no collective backend for device ", device.str(),
                     " in this build: CUDA builds use NCCL for cuda devices, CPU builds with libgloo-dev use Gloo");
  events_->clock = make_event_clock(device);
  progress_ = std::make_unique<ProgressBoard>(world, timeout);
}

Communicator::~Communicator() = default;

void Communicator::set_debug_stall(int rank, int64_t at) {
  debug_stall_rank_ = rank;
  debug_stall_at_ = at;
}

template <typename F>
void Communicator::timed(Collective c, int64_t bytes, F&& call) {
  const char* name = collective_name(c);
  if (world_.rank == debug_stall_rank_ && progress_->next_seq() == debug_stall_at_) {
    std::cerr << "ablate: debug: rank " << world_.rank << " stalls before " << name << " #" << debug_stall_at_ << "\n";
    std::this_thread::sleep_for(timeout_ * 2);
  }
  const int64_t seq = progress_->enter(name);
  const auto t0 = std::chrono::steady_clock::now();
  // one line naming the collective and who did not arrive, instead of the backend's text
  auto run = [&] {
    try {
      call();
    } catch (const std::exception& e) {
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::string what = e.what();
      std::ostringstream os;
      os << "collective " << name << " #" << seq << " failed on rank " << world_.rank << " after " << std::fixed
         << std::setprecision(1) << waited << " s (timeout " << timeout_.count() / 1000.0
         << " s): " << what.substr(0, what.find('\n'));
      const std::string missing = progress_->missing_ranks(seq, name);
      os << "; " << (missing.empty() ? "every rank had entered it" : missing);
      throw std::runtime_error(os.str());
    }
  };
  auto& s = stats_[static_cast<size_t>(c)];
  s.calls += 1;
  s.bytes += bytes;
  if (events_->clock) {
    const int begin = events_->clock->record();
    run();
    pending_.push_back({c, begin, events_->clock->record()});
  } else {
    run();
    s.ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
}

torch::Tensor Communicator::all_to_all(const torch::Tensor& x, int64_t scatter_dim, int64_t gather_dim) {
  ABLATE_NVTX_RANGE("all_to_all");
  const int64_t w = size();
  TORCH_CHECK(x.size(scatter_dim) % w == 0, "all_to_all: dim ", scatter_dim, " of size ", x.size(scatter_dim),
              " is not divisible by the world size ", w);
  // [w, chunk...]: slice i goes to rank i
  auto in = torch::stack(x.chunk(w, scatter_dim)).contiguous();
  auto out = torch::empty_like(in);
  timed(Collective::kAllToAll, in.numel() * in.element_size(), [&] { backend_->all_to_all(out, in); });
  return torch::cat(out.unbind(0), gather_dim).contiguous();
}

torch::Tensor Communicator::all_gather(const torch::Tensor& x, int64_t dim) {
  ABLATE_NVTX_RANGE("all_gather");
  auto in = x.contiguous().view({-1});
  auto out = torch::empty({in.numel() * size()}, in.options());
  timed(Collective::kAllGather, in.numel() * in.element_size(), [&] { backend_->all_gather_flat(out, in); });
  std::vector<torch::Tensor> parts;
  for (auto& p : out.chunk(size())) parts.push_back(p.view(x.sizes()));
  return torch::cat(parts, dim);
}

void Communicator::all_gather_into(torch::Tensor& full, const torch::Tensor& shard) {
  ABLATE_NVTX_RANGE("param_all_gather");
  TORCH_CHECK(full.numel() == shard.numel() * size(), "all_gather_into: expected a buffer of ",
              shard.numel() * size(), " elements, got ", full.numel());
  auto in = shard.contiguous();
  timed(Collective::kParamAllGather, in.numel() * in.element_size(), [&] { backend_->all_gather_flat(full, in); });
}

void Communicator::broadcast(torch::Tensor& t, int root) {
  ABLATE_NVTX_RANGE("broadcast");
  timed(Collective::kBroadcast, t.numel() * t.element_size(), [&] { backend_->broadcast(t, root); });
}

void Communicator::barrier() {
  ABLATE_NVTX_RANGE("barrier");
  timed(Collective::kBarrier, 0, [&] { backend_->barrier(); });
}

std::array<CollectiveStats, static_cast<size_t>(Collective::kCount)> Communicator::stats() const { return stats_; }

void Communicator::reset_stats() {
  resolve();
  stats_ = {};
}

void Communicator::resolve() {
  if (pending_.empty()) return;
  events_->clock->synchronize();
  for (const auto& p : pending_) stats_[static_cast<size_t>(p.type)].ms += events_->clock->elapsed_ms(p.begin, p.end);
  pending_.clear();
}

}  // namespace ablate::dist
