#include "bench/collective_bench.h"

#include <torch/csrc/distributed/c10d/HashStore.hpp>

#include <c10/core/DeviceGuard.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/dist/backend.h"

namespace ablate::bench {
namespace {

enum class Op { kAllGather, kAllToAll, kStop };

struct Job {
  Op op = Op::kStop;
  int64_t bytes = 0;
  int64_t calls = 0;
};

// Rank r's buffers for one job: all-gather [n] -> [w * n] (S = output), all-to-all [w, n/w] (S = input).
struct Buffers {
  torch::Tensor in, out;
  Buffers(Op op, int64_t bytes, int world, torch::Device device) {
    const auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device);
    const int64_t elems = std::max<int64_t>(bytes / 4 / world, 1);  // per-rank slice
    if (op == Op::kAllGather) {
      in = torch::ones({elems}, opts);
      out = torch::empty({elems * world}, opts);
    } else {
      in = torch::ones({world, elems}, opts);
      out = torch::empty({world, elems}, opts);
    }
  }
  void run(Op op, dist::Backend& b) {
    if (op == Op::kAllGather) b.all_gather_flat(out, in);
    else b.all_to_all(out, in);
  }
};

// Ranks 1..n-1: threads that replay each job rank 0 posts (the collectives pair them up).
class Ranks {
 public:
  Ranks(int world, torch::Device device) : world_(world), device_(device) {
    auto store = c10::make_intrusive<c10d::HashStore>();
    std::vector<std::unique_ptr<dist::Backend>> backends(world);
    std::vector<std::thread> makers;
    // every rank's process group is created at once: each waits for the others in the store
    for (int r = 0; r < world; ++r)
      makers.emplace_back([&, r] { backends[r] = make_backend(store, r); });
    for (auto& t : makers) t.join();
    for (int r = 0; r < world; ++r)
      if (!backends[r]) throw std::runtime_error("rank " + std::to_string(r) + ": no collective backend");
    rank0_ = std::move(backends[0]);
    for (int r = 1; r < world; ++r)
      peers_.emplace_back([this, r, b = std::shared_ptr<dist::Backend>(std::move(backends[r]))] { serve(r, *b); });
  }

  ~Ranks() {
    post({Op::kStop, 0, 0});
    for (auto& t : peers_) t.join();
  }

  int world() const { return world_; }
  torch::Device device_of(int rank) const {
    return device_.is_cuda() ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(rank)) : device_;
  }
  dist::Backend& rank0() { return *rank0_; }
  const char* backend_name() const { return rank0_->name(); }

  void post(const Job& job) {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = job;
    ++serial_;
    cv_.notify_all();
  }

 private:
  std::unique_ptr<dist::Backend> make_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank) {
    const auto timeout = std::chrono::milliseconds(120000);
#if defined(ABLATE_CUDA)
    if (device_.is_cuda()) return dist::make_nccl_backend(store, rank, world_, timeout, rank);
#endif
#if defined(ABLATE_GLOO)
    if (!device_.is_cuda()) return dist::make_gloo_backend(store, rank, world_, timeout);
#endif
    return nullptr;
  }

  void serve(int rank, dist::Backend& backend) {
    c10::DeviceGuard guard(device_of(rank));
    uint64_t seen = 0;
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return serial_ != seen; });
        seen = serial_;
        job = job_;
      }
      if (job.op == Op::kStop) return;
      Buffers buffers(job.op, job.bytes, world_, device_of(rank));
      for (int64_t i = 0; i < job.calls; ++i) buffers.run(job.op, backend);
    }
  }

  int world_;
  torch::Device device_;
  std::unique_ptr<dist::Backend> rank0_;
  std::vector<std::thread> peers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  Job job_;
  uint64_t serial_ = 0;
};

std::unique_ptr<Ranks>& ranks() {
  static std::unique_ptr<Ranks> r;
  return r;
}

void collective(benchmark::State& state, Op op) {
  Ranks& r = *ranks();
  const int64_t bytes = state.range(0);
  // state.max_iterations is this run's iteration count, known before the loop: the peers run as many
  r.post({op, bytes, state.max_iterations + 1});
  Buffers buffers(op, bytes, r.world(), r.device_of(0));
  auto clock = make_event_clock(r.device_of(0));
  buffers.run(op, r.rank0());  // warm-up, as nccl-tests' first untimed call
  for (auto _ : state) time_iteration(state, clock.get(), [&] { buffers.run(op, r.rank0()); });
  const double n = r.world();
  const double s = static_cast<double>(op == Op::kAllGather ? buffers.out.nbytes() : buffers.in.nbytes());
  state.counters["algbw"] = benchmark::Counter(s, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["busbw"] = benchmark::Counter(s * (n - 1) / n, benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(static_cast<int64_t>(s) * state.iterations());
}

void cannot_run(benchmark::State& state, const std::string& why) {
  for (auto _ : state) {
    state.SkipWithError(why.c_str());
    break;
  }
}

}  // namespace

void register_collective_benchmarks(const BenchOptions& o) {
  const torch::Device device(o.device);
  std::string why;
  if (device.is_cuda() && static_cast<int>(torch::cuda::device_count()) < o.ranks)
    why = "NCCL ranks need one GPU each: " + std::to_string(o.ranks) + " ranks, " +
          std::to_string(torch::cuda::device_count()) + " GPUs";
  if (why.empty()) {
    try {
      ranks() = std::make_unique<Ranks>(o.ranks, device);
    } catch (const std::exception& e) {
      why = e.what();
    }
  }
  if (!why.empty()) {
    benchmark::RegisterBenchmark("collectives", [why](benchmark::State& s) { cannot_run(s, why); });
    return;
  }
  const std::string suffix = std::string("/") + ranks()->backend_name() + "/ranks:" + std::to_string(o.ranks);
  for (auto [name, op] : {std::pair<const char*, Op>{"all_gather", Op::kAllGather}, {"all_to_all", Op::kAllToAll}}) {
    auto* b = benchmark::RegisterBenchmark((name + suffix).c_str(), [op = op](benchmark::State& s) { collective(s, op); })
                  ->ArgName("bytes")->UseManualTime()->Unit(benchmark::kMicrosecond);
    for (int64_t bytes = o.min_bytes; bytes <= o.max_bytes; bytes *= 4) b->Arg(bytes);
  }
}

void stop_collective_ranks() { ranks().reset(); }

}  // namespace ablate::bench
