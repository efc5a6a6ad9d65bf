// One host thread that runs submitted work in order, so that the submitting thread never waits
// for it: e.g. the VAE decode's kernel launches, which block once CUDA's launch queue is full,
// issued beside the DiT's. Work runs with the submitter's thread-local state (grad mode, autocast,
// dispatch keys) as it was at submit(), and with its intra-op thread count.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace ablate {

class HostWorker {
 public:
  HostWorker();
  // Waits for the work still queued (its errors are dropped: drain() is where they are reported).
  ~HostWorker();
  HostWorker(const HostWorker&) = delete;
  HostWorker& operator=(const HostWorker&) = delete;

  // Queues `work`; returns at once. After an error, later work is skipped until drain().
  void submit(std::function<void()> work);
  // Waits until every submitted work has run, then rethrows the first error any of them threw.
  void drain();
  // Works submitted so far that have finished (run, failed or skipped).
  int64_t completed() const;

 private:
  void loop();

  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false, stop_ = false;
  int64_t completed_ = 0;
  std::exception_ptr error_;
  std::thread thread_;  // last: started once the state above exists
};

// Runs `work` now on this thread when `worker` is null, else queues it on the worker.
void run_or_submit(HostWorker* worker, std::function<void()> work);

}  // namespace ablate
