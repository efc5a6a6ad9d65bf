#include "profiling/trace_recorder.h"

#include <ATen/record_function.h>

#include <cstdio>
#include <map>
#include <set>

namespace ablate::trace {
namespace {

std::atomic<TraceRecorder*> g_active_recorder{nullptr};
std::atomic<bool> g_record_function_ranges{false};
std::atomic<int64_t> g_ranges_opened{0};

std::string trace_json_string(const char* s) {
  std::string out = "\"";
  for (const char* p = s; *p; ++p) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += *p;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += *p;
    }
  }
  return out + "\"";
}

std::string trace_microseconds(double us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", us);
  return buf;
}

}  // namespace

int this_thread_id() {
  static std::atomic<int> next{1};
  thread_local const int id = next.fetch_add(1);
  return id;
}

TraceRecorder::TraceRecorder() : origin_(std::chrono::steady_clock::now()) {}

double TraceRecorder::now_us() const {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - origin_).count();
}

size_t TraceRecorder::begin(const char* name, int64_t index, int tid) {
  const double t = now_us();
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back({name, index, tid, t, -1});
  return events_.size() - 1;
}

void TraceRecorder::end(size_t slot) {
  const double t = now_us();
  std::lock_guard<std::mutex> lock(mutex_);
  if (slot < events_.size()) events_[slot].end_us = t;
}

std::vector<TraceEvent> TraceRecorder::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

std::string TraceRecorder::to_chrome_json() const {
  const std::vector<TraceEvent> events = this->events();
  std::set<int> tids;
  for (const auto& e : events) tids.insert(e.tid);
  std::string out = "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"ablate (own ranges; no Kineto)\"},"
                    "\"traceEvents\":[\n";
  out += R"({"ph":"M","name":"process_name","pid":1,"args":{"name":"ablate"}})";
  for (const int tid : tids) {
    const std::string name = tid == kPhaseTrack       ? "phases (PhaseTimer)"
                             : is_phase_track(tid) ? "phases (thread " + std::to_string(kPhaseTrack - tid) + ")"
                                                   : "thread " + std::to_string(tid);
    out += ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":" + std::to_string(tid) +
           ",\"args\":{\"name\":" + trace_json_string(name.c_str()) + "}}";
    out += ",\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":" + std::to_string(tid) +
           ",\"args\":{\"sort_index\":" + std::to_string(tid) + "}}";
  }
  for (const auto& e : events) {
    if (e.end_us < 0) continue;
    out += ",\n{\"ph\":\"X\",\"cat\":\"" + std::string(is_phase_track(e.tid) ? "phase" : "range") +
           "\",\"name\":" + trace_json_string(e.name) + ",\"pid\":1,\"tid\":" + std::to_string(e.tid) +
           ",\"ts\":" + trace_microseconds(e.begin_us) + ",\"dur\":" + trace_microseconds(e.end_us - e.begin_us);
    if (e.index >= 0) out += ",\"args\":{\"index\":" + std::to_string(e.index) + "}";
    out += "}";
  }
  return out + "\n]}\n";
}

void set_active_recorder(TraceRecorder* recorder) { g_active_recorder.store(recorder, std::memory_order_release); }
TraceRecorder* active_recorder() { return g_active_recorder.load(std::memory_order_acquire); }
void set_record_function_ranges(bool on) { g_record_function_ranges.store(on, std::memory_order_release); }

int64_t ranges_opened() { return g_ranges_opened.load(std::memory_order_relaxed); }

RangeScope::RangeScope(const char* name, int64_t index) : recorder_(active_recorder()) {
  g_ranges_opened.fetch_add(1, std::memory_order_relaxed);
  if (recorder_) slot_ = recorder_->begin(name, index, this_thread_id());
  if (g_record_function_ranges.load(std::memory_order_acquire)) {
    record_function_ = std::make_unique<at::RecordFunction>(at::RecordScope::USER_SCOPE);
    if (record_function_->isActive()) {
      std::string label = name;
      if (index >= 0) label += "[" + std::to_string(index) + "]";
      record_function_->before(std::move(label));
    }
  }
}

RangeScope::~RangeScope() {
  record_function_.reset();  // ends the scope first: it nests inside the span below
  if (recorder_) recorder_->end(slot_);
}

// Only while the recorder is the active one: the trace covers the capture window.
void PhaseTraceHooks::begin(Phase phase, int64_t index) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto thread = std::this_thread::get_id();
    if (open_.empty() && first_thread_ == std::thread::id()) first_thread_ = thread;
    const int track = thread == first_thread_ ? kPhaseTrack : kPhaseTrack - this_thread_id();
    open_[thread].push_back(active_recorder() == &recorder_ ? recorder_.begin(phase_name(phase), index, track)
                                                              : kNotRecorded);
  }
  if (inner_) inner_->begin(phase, index);
}

void PhaseTraceHooks::end(Phase phase, int64_t index) {
  if (inner_) inner_->end(phase, index);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = open_.find(std::this_thread::get_id());
  if (it == open_.end() || it->second.empty()) return;
  if (it->second.back() != kNotRecorded) recorder_.end(it->second.back());
  it->second.pop_back();
  if (it->second.empty()) open_.erase(it);
}

}  // namespace ablate::trace
