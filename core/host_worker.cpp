#include "core/host_worker.h"

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

namespace ablate {

HostWorker::HostWorker() : thread_([this] { loop(); }) {}

HostWorker::~HostWorker() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void HostWorker::submit(std::function<void()> work) {
  // what the work needs from the submitting thread: its thread-local state and thread count
  auto state = std::make_shared<at::ThreadLocalState>();
  const int threads = at::get_num_threads();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back([state, threads, work = std::move(work)] {
      at::ThreadLocalStateGuard guard(*state);
      if (at::get_num_threads() != threads) at::set_num_threads(threads);
      work();
    });
  }
  wake_.notify_one();
}

void HostWorker::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
  if (error_) {
    auto error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
}

int64_t HostWorker::completed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return completed_;
}

void HostWorker::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_, nothing left
    auto work = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    const bool skip = error_ != nullptr;  // later work may depend on what failed
    lock.unlock();
    std::exception_ptr error;
    if (!skip) {
      try {
        work();
      } catch (...) {
        error = std::current_exception();
      }
    }
    work = nullptr;  // its captures die on this thread, before drain() returns
    lock.lock();
    if (error && !error_) error_ = error;
    busy_ = false;
    ++completed_;
    if (queue_.empty()) idle_.notify_all();
  }
}

void run_or_submit(HostWorker* worker, std::function<void()> work) {
  if (worker) {
    worker->submit(std::move(work));
  } else {
    work();
  }
}

}  // namespace ablate
