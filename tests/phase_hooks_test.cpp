// PhaseScope: begin() and end() around a scope, and the first error wins when end() fails while an
// exception unwinds the scope (an aborted CUDA-graph capture leaves a stream that event records and
// syncs fail on; that second error used to end the process through std::terminate).
#include "profiling/phase_hooks.h"
#include "profiling/phase_timer.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ablate {
namespace phase_hooks_test {

struct RecordingHooks : PhaseHooks {
  void begin(Phase phase, int64_t index) override { calls.push_back(std::string("begin ") + phase_name(phase) + std::to_string(index)); }
  void end(Phase phase, int64_t index) override {
    calls.push_back(std::string("end ") + phase_name(phase) + std::to_string(index));
    if (fail_end) throw std::runtime_error("end failed");
  }
  std::vector<std::string> calls;
  bool fail_end = false;
};

TEST(PhaseHooksTest, ScopeCallsBeginAndEndInNestingOrder) {
  RecordingHooks hooks;
  {
    PhaseScope whole(&hooks, Phase::kGenerate);
    PhaseScope chunk(&hooks, Phase::kChunk, 2);
  }
  EXPECT_EQ(hooks.calls, (std::vector<std::string>{"begin generate-1", "begin chunk2", "end chunk2", "end generate-1"}));
  PhaseScope none(nullptr, Phase::kChunk, 0);  // no hooks: nothing to call
}

TEST(PhaseHooksTest, EndFailingDuringUnwindingKeepsTheFirstError) {
  RecordingHooks hooks;
  hooks.fail_end = true;
  try {
    PhaseScope whole(&hooks, Phase::kGenerate);
    PhaseScope chunk(&hooks, Phase::kChunk, 0);
    throw std::runtime_error("capture failed");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "capture failed");
  }
  EXPECT_EQ(hooks.calls.size(), 4u);  // both ends still ran
}

TEST(PhaseHooksTest, EndFailingOnANormalExitIsReported) {
  RecordingHooks hooks;
  hooks.fail_end = true;
  EXPECT_THROW({ PhaseScope whole(&hooks, Phase::kGenerate); }, std::runtime_error);
}

// Phases that overlap (a decode on a side stream beside a chunk) count once; the gaps between them
// are what lies outside: device clocks where the timings have them.
TEST(PhaseHooksTest, TimeOutsidePhasesCountsOverlapsOnce) {
  auto timing = [](Phase phase, double begin, double end, bool device) {
    PhaseTiming t;
    t.phase = phase;
    (device ? t.device_ms : t.host_ms) = end - begin;
    (device ? t.device_end_offset_ms : t.host_end_offset_ms) = end;
    return t;
  };
  for (const bool device : {false, true}) {
    const std::vector<PhaseTiming> timings{timing(Phase::kGenerate, 0, 100, device),
                                           timing(Phase::kChunk, 0, 30, device),
                                           timing(Phase::kVaeDecode, 20, 50, device),  // overlaps chunk 0
                                           timing(Phase::kChunk, 60, 90, device),
                                           timing(Phase::kVaeDecode, 65, 70, device)};  // inside chunk 1
    EXPECT_DOUBLE_EQ(time_outside_phases_ms(timings), 100 - 50 - 30) << device;
  }
  EXPECT_DOUBLE_EQ(time_outside_phases_ms({timing(Phase::kGenerate, 0, 40, false)}), 40);
  EXPECT_EQ(time_outside_phases_ms({timing(Phase::kChunk, 0, 40, false)}), -1);  // no generate phase
}

}  // namespace phase_hooks_test
}  // namespace ablate
