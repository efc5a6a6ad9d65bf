#include "core/dist/progress_board.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace ablate::dist {
namespace {

std::string progress_key(int rank) { return "ablate/progress/" + std::to_string(rank); }

std::string first_line_of(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

ProgressBoard::ProgressBoard(const WorldInfo& world, std::chrono::milliseconds timeout)
    : rank_(world.rank), size_(world.size), timeout_(timeout) {
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(world.master_port);
  opts.isServer = false;
  opts.waitWorkers = false;  // a second client of this rank: the server counts only the first
  opts.timeout = timeout;
  store_ = c10::make_intrusive<c10d::TCPStore>(world.master_addr, opts);
  store_->set(progress_key(rank_), std::vector<uint8_t>{'0', ' ', 's', 't', 'a', 'r', 't'});
  poster_ = std::thread([this] { post_loop(); });
}

ProgressBoard::~ProgressBoard() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  poster_.join();
}

int64_t ProgressBoard::enter(const char* name) {
  const int64_t seq = seq_.load(std::memory_order_relaxed) + 1;
  history_[seq % kHistory].store(name, std::memory_order_relaxed);
  name_.store(name, std::memory_order_relaxed);
  seq_.store(seq, std::memory_order_release);
  return seq;
}

std::string ProgressBoard::missing_ranks(int64_t seq, const char* name) {
  std::ostringstream missing, last;
  int count = 0;
  int64_t first_missed = seq;
  try {
    std::lock_guard<std::mutex> lock(store_mutex_);
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      const std::string key = progress_key(r);
      std::string posted = "nothing";
      if (store_->check({key})) {
        const auto bytes = store_->get(key);
        posted.assign(bytes.begin(), bytes.end());
      }
      std::istringstream in(posted);
      int64_t their_seq = -1;
      std::string their_name;
      in >> their_seq >> their_name;
      if (their_seq >= seq) continue;
      missing << (count++ ? ", " : "") << r;
      first_missed = std::min(first_missed, std::max<int64_t>(their_seq, 0) + 1);
      last << "; rank " << r << " last entered " << (their_seq < 0 ? "nothing" : their_name + " #" + std::to_string(their_seq));
    }
  } catch (const std::exception& e) {
    return std::string("the ranks' progress could not be read from the store (") + first_line_of(e.what()) + ")";
  }
  if (count == 0) return "";
  const char* missed = seq - first_missed < kHistory ? history_[first_missed % kHistory].load() : nullptr;
  std::string line = "rank(s) " + missing.str() + " did not arrive at " + (missed ? missed : "collective") + " #" +
                     std::to_string(first_missed);
  if (first_missed != seq) line += " (rank " + std::to_string(rank_) + " is at " + name + " #" + std::to_string(seq) + ")";
  return line + last.str();
}

void ProgressBoard::post_loop() {
  // warn before the timeout: NCCL's own watchdog may end the process at the timeout
  const auto warn_after = timeout_ * 8 / 10;
  const auto end_after = timeout_ + std::chrono::milliseconds(3000);
  int64_t posted = 0, warned = 0, ended = 0;
  auto since = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(stop_mutex_);
  while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; })) {
    const int64_t seq = seq_.load(std::memory_order_acquire);
    const char* name = name_.load(std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    if (seq != posted) {
      since = now;
      const std::string value = std::to_string(seq) + " " + name;
      try {
        std::lock_guard<std::mutex> store_lock(store_mutex_);
        store_->set(progress_key(rank_), std::vector<uint8_t>(value.begin(), value.end()));
        posted = seq;
      } catch (const std::exception&) {
        return;  // the store is gone (rank 0 ended): the collectives report the failure
      }
      continue;
    }
    if (seq == 0 || now - since < warn_after) continue;
    const double waited_s = std::chrono::duration<double>(now - since).count();
    if (seq != warned) {
      warned = seq;
      const std::string missing = missing_ranks(seq, name);
      if (missing.empty()) continue;  // nobody is behind this rank: it is not waiting on a collective
      std::cerr << "ablate: watchdog: rank " << rank_ << " has made no collective progress for " << std::fixed
                << std::setprecision(1) << waited_s << " s: " << missing << "\n";
    }
    if (seq == ended || now - since < end_after) continue;
    ended = seq;
    const std::string missing = missing_ranks(seq, name);
    if (missing.empty()) continue;
    // The collective's own timeout has passed (plus a grace for its error to arrive) and this rank
    // still waits: end the process now. NCCL's watchdog sees the timeout too, but may hold the
    // process for its debug dump for a minute more; the launcher then ends the other ranks.
    std::cerr << "ablate: failed: rank " << rank_ << " waited " << std::fixed << std::setprecision(1) << waited_s
              << " s (collective timeout " << std::chrono::duration<double>(timeout_).count() << " s): " << missing
              << "; ending rank " << rank_ << "\n";
    std::_Exit(1);
  }
}

}  // namespace ablate::dist
