// The one layer every collective of the generator passes through (c10d: NCCL on CUDA, Gloo on
// the CPU). It counts calls and bytes per collective type and times each: CUDA events around
// the call on the current stream (read after the timed region) or the host clock on the CPU.
// Every rank posts the collective it enters to the store (ProgressBoard), so a failed or timed-out
// collective is reported in one line naming it and the ranks that did not arrive.
#pragma once
#include <torch/torch.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dist/world.h"

namespace ablate::dist {

enum class Collective { kAllToAll, kAllGather, kParamAllGather, kBroadcast, kBarrier, kCount };
const char* collective_name(Collective c);

struct CollectiveStats {
  int64_t calls = 0;
  int64_t bytes = 0;   // bytes this rank sends (all-gather: its input; all-to-all: its input)
  double ms = 0;       // summed duration (after resolve())
};

class ProgressBoard;
class Backend;  // c10d process group, hidden behind the build's backend (communicator_*.cpp)

class Communicator {
 public:
  // Connects through a TCPStore at master_addr:master_port; NCCL for a CUDA device, Gloo for the CPU.
  Communicator(const WorldInfo& world, torch::Device device, std::chrono::milliseconds timeout);
  ~Communicator();

  int rank() const { return world_.rank; }
  int size() const { return world_.size; }
  torch::Device device() const { return device_; }

  // Ulysses all-to-all: x chunked along scatter_dim, chunk i to rank i, received chunks
  // concatenated along gather_dim. [.., S, .., H, ..] -> [.., S*w, .., H/w, ..]
  torch::Tensor all_to_all(const torch::Tensor& x, int64_t scatter_dim, int64_t gather_dim);
  // every rank's x concatenated along dim
  torch::Tensor all_gather(const torch::Tensor& x, int64_t dim);
  // flat parameter gather: shard [n] from every rank into full [n * w]
  void all_gather_into(torch::Tensor& full, const torch::Tensor& shard);
  void broadcast(torch::Tensor& t, int root);
  void barrier();

  // Test hook: rank `rank` sleeps for twice the timeout before entering its collective number
  // `at` (1-based, counted over every collective of the process); -1 turns it off.
  void set_debug_stall(int rank, int64_t at);

  // Per-type counters since construction or reset_stats(); durations need resolve() first.
  std::array<CollectiveStats, static_cast<size_t>(Collective::kCount)> stats() const;
  void reset_stats();
  // Reads pending CUDA events into the durations (waits for the device; outside timed work).
  void resolve();

 private:
  template <typename F>
  void timed(Collective c, int64_t bytes, F&& run);

  WorldInfo world_;
  torch::Device device_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<ProgressBoard> progress_;
  int debug_stall_rank_ = -1;
  int64_t debug_stall_at_ = -1;
  std::array<CollectiveStats, static_cast<size_t>(Collective::kCount)> stats_{};
  struct Pending;
  std::vector<Pending> pending_;
  struct EventState;
  std::unique_ptr<EventState> events_;
};

}  // namespace ablate::dist
