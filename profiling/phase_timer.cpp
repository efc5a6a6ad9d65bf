#include "profiling/phase_timer.h"

#include <algorithm>

namespace ablate {

std::string PhaseTiming::label() const {
  std::string s = phase_name(phase);
  if (index >= 0) s += "[" + std::to_string(index) + "]";
  return s;
}

double time_outside_phases_ms(const std::vector<PhaseTiming>& timings) {
  double span = -1;
  std::vector<std::pair<double, double>> covered;  // [begin, end] from generate()'s start
  for (const auto& t : timings) {
    const bool device = t.device_ms >= 0;
    const double ms = device ? t.device_ms : t.host_ms;
    if (t.phase == Phase::kGenerate) {
      span = ms;
      continue;
    }
    const double end = device ? t.device_end_offset_ms : t.host_end_offset_ms;
    covered.emplace_back(end - ms, end);
  }
  if (span < 0) return -1;
  std::sort(covered.begin(), covered.end());
  double inside = 0, open_begin = 0, open_end = -1;
  for (const auto& [begin, end] : covered) {
    if (begin > open_end) {  // a new run of overlapping phases
      inside += std::max(0.0, open_end - open_begin);
      open_begin = begin;
      open_end = end;
    } else {
      open_end = std::max(open_end, end);
    }
  }
  inside += std::max(0.0, open_end - open_begin);
  return std::max(0.0, span - inside);
}

#if !defined(ABLATE_CUDA)
std::unique_ptr<EventClock> make_event_clock(torch::Device) { return nullptr; }
#endif

PhaseTimer::PhaseTimer(torch::Device device, bool phases) : clock_(make_event_clock(device)), phases_(phases) {}

void PhaseTimer::begin(Phase phase, int64_t index) {
  if (!phases_ && phase != Phase::kGenerate) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t slot = done_.size();
  // one clock read: the first phase's begin is the origin of every end offset, so no phase can end
  // later (by offset) than the whole generate() it lies in
  const auto now = std::chrono::steady_clock::now();
  if (slot == 0) host_origin_ = now;
  done_.push_back({phase, index});
  events_.push_back({-1, -1});
  open_[std::this_thread::get_id()].push_back({phase, index, now, clock_ ? clock_->record() : -1, slot});
}

void PhaseTimer::end(Phase phase, int64_t index) {
  if (!phases_ && phase != Phase::kGenerate) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto open = open_.find(std::this_thread::get_id());
  TORCH_CHECK(open != open_.end() && open->second.back().phase == phase && open->second.back().index == index,
              "PhaseTimer: end(", phase_name(phase), ", ", index,
              ") does not match the innermost phase this thread opened");
  const Open o = open->second.back();
  open->second.pop_back();
  if (open->second.empty()) open_.erase(open);
  if (clock_) {
    events_[o.slot] = {o.event_begin, clock_->record()};
    if (phase == Phase::kGenerate) clock_->synchronize();  // the user waits for the device too
  }
  const auto now = std::chrono::steady_clock::now();
  done_[o.slot].host_ms = std::chrono::duration<double, std::milli>(now - o.host_begin).count();
  done_[o.slot].host_end_offset_ms = std::chrono::duration<double, std::milli>(now - host_origin_).count();
}

std::vector<PhaseTiming> PhaseTimer::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t still_open = 0;
  for (const auto& [thread, open] : open_) still_open += open.size();
  TORCH_CHECK(still_open == 0, "PhaseTimer: ", still_open, " phases still open");
  if (clock_) {
    clock_->synchronize();
    for (size_t i = 0; i < done_.size(); ++i) {
      done_[i].device_ms = clock_->elapsed_ms(events_[i].first, events_[i].second);
      done_[i].device_end_offset_ms = clock_->elapsed_ms(events_[0].first, events_[i].second);
    }
  }
  auto out = std::move(done_);
  done_.clear();
  events_.clear();
  return out;
}

}  // namespace ablate
