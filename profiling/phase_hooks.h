// The phases of one generate() and the observer interface the pipeline calls at their edges.
// Timers, NVTX capture windows and memory probes implement it; model code never calls them.
#pragma once
#include <cstdint>
#include <exception>

namespace ablate {

enum class Phase { kGenerate, kTextEncode, kVaeEncode, kChunk, kVaeDecode };

const char* phase_name(Phase phase);

class PhaseHooks {
 public:
  virtual ~PhaseHooks() = default;
  // Called on the host when a phase starts / ends; index = chunk or step number (-1 when none).
  virtual void begin(Phase phase, int64_t index) {}
  virtual void end(Phase phase, int64_t index) {}
};

inline const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kGenerate: return "generate";
    case Phase::kTextEncode: return "text_encode";
    case Phase::kVaeEncode: return "vae_encode";
    case Phase::kChunk: return "chunk";
    case Phase::kVaeDecode: return "vae_decode";
  }
  return "invalid";
}

// Runs begin() now and end() at scope exit. When the scope is left by an exception, end() may fail
// too (a CUDA event on a stream that an aborted graph capture broke): that second error is dropped,
// so the first one reaches the caller instead of std::terminate.
class PhaseScope {
 public:
  PhaseScope(PhaseHooks* hooks, Phase phase, int64_t index = -1)
      : hooks_(hooks), phase_(phase), index_(index), uncaught_(std::uncaught_exceptions()) {
    if (hooks_) hooks_->begin(phase_, index_);
  }
  ~PhaseScope() noexcept(false) {
    if (!hooks_) return;
    if (std::uncaught_exceptions() == uncaught_) {
      hooks_->end(phase_, index_);
      return;
    }
    try {
      hooks_->end(phase_, index_);
    } catch (...) {  // NOLINT(bugprone-empty-catch): the unwinding exception is the one to report
    }
  }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  PhaseHooks* hooks_;
  Phase phase_;
  int64_t index_;
  int uncaught_;
};

}  // namespace ablate
