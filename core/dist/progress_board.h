// Where every rank is in its sequence of collectives, posted to the c10d store, so that a
// collective that times out can be named together with the ranks that never reached it.
// The hot path only bumps an atomic; a thread posts "<seq> <name>" to the key
// ablate/progress/<rank> (its own store connection) and warns once per collective when this rank
// has waited on the others for most of the timeout (NCCL's watchdog may end the process at the
// timeout itself, before any exception reaches Ablate). A rank still waiting 3 s after the timeout
// says which ranks did not arrive and ends its process (exit 1), so a stalled collective never
// holds the run longer than that, whatever NCCL's watchdog does.
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "core/dist/world.h"

namespace ablate::dist {

class ProgressBoard {
 public:
  // Connects a store client of its own to world.master_addr:master_port (the server must exist).
  ProgressBoard(const WorldInfo& world, std::chrono::milliseconds timeout);
  ~ProgressBoard();
  ProgressBoard(const ProgressBoard&) = delete;
  ProgressBoard& operator=(const ProgressBoard&) = delete;

  // This rank enters collective `name` (a string literal); returns its sequence number (1, 2, ...).
  int64_t enter(const char* name);
  int64_t next_seq() const { return seq_.load(std::memory_order_relaxed) + 1; }

  // One line about collective `seq` (`name`): which ranks had not entered it and the first
  // collective they missed, with what each of them entered last, read from the store; "" when
  // every rank had entered it; or why the store could not say.
  std::string missing_ranks(int64_t seq, const char* name);

 private:
  void post_loop();

  int rank_, size_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
  std::mutex store_mutex_;  // the thread and missing_ranks() share the connection
  std::atomic<int64_t> seq_{0};
  std::atomic<const char*> name_{"start"};
  // the names of this rank's last kHistory collectives, by seq % kHistory (a rank that runs
  // ahead, as NCCL's host does, can still name the first collective another rank missed)
  static constexpr int64_t kHistory = 4096;
  std::array<std::atomic<const char*>, kHistory> history_{};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread poster_;
};

}  // namespace ablate::dist
