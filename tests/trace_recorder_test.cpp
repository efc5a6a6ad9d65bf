// The trace recorder behind `ablate profile --trace` on a LibTorch without Kineto: ranges opened by
// the NVTX macro are recorded only while a recorder is active, nest as their scopes do, carry
// their index, and come out as Trace Event Format JSON that parses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <thread>
#include <vector>

#include "profiling/kineto_session.h"
#include "profiling/nvtx.h"
#include "profiling/trace_recorder.h"

namespace ablate {
namespace trace_recorder_test {

using trace::TraceEvent;
using trace::TraceRecorder;

void nested_ranges() {
  ABLATE_NVTX_RANGE("step", 2);
  {
    ABLATE_NVTX_RANGE("dit_forward");
    for (int64_t i = 0; i < 2; ++i) {
      ABLATE_NVTX_RANGE("block", i);
    }
  }
}

TEST(TraceRecorderTest, RecordsOnlyWhileActiveAndNestsAsTheScopes) {
  TraceRecorder recorder;
  nested_ranges();  // not active: nothing
  trace::set_active_recorder(&recorder);
  nested_ranges();
  trace::set_active_recorder(nullptr);
  nested_ranges();
  const std::vector<TraceEvent> events = recorder.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_STREQ(events[0].name, "step");
  EXPECT_EQ(events[0].index, 2);
  EXPECT_STREQ(events[1].name, "dit_forward");
  EXPECT_EQ(events[1].index, -1);
  EXPECT_STREQ(events[2].name, "block");
  EXPECT_EQ(events[2].index, 0);
  EXPECT_EQ(events[3].index, 1);
  for (const auto& e : events) {
    EXPECT_EQ(e.tid, trace::this_thread_id());
    EXPECT_GE(e.end_us, e.begin_us);
  }
  // nesting: each child inside its parent, siblings in order
  EXPECT_LE(events[0].begin_us, events[1].begin_us);
  EXPECT_GE(events[0].end_us, events[1].end_us);
  EXPECT_LE(events[1].begin_us, events[2].begin_us);
  EXPECT_LE(events[2].end_us, events[3].begin_us);
  EXPECT_GE(events[1].end_us, events[3].end_us);
}

TEST(TraceRecorderTest, ChromeJsonParsesWithOneCompleteEventPerRangeAndThreadNames) {
  TraceRecorder recorder;
  trace::set_active_recorder(&recorder);
  nested_ranges();
  std::thread([] { ABLATE_NVTX_RANGE("vae_decode", 5); }).join();
  trace::set_active_recorder(nullptr);
  const auto j = nlohmann::json::parse(recorder.to_chrome_json());
  ASSERT_TRUE(j.at("traceEvents").is_array());
  std::vector<nlohmann::json> complete;
  std::vector<std::string> thread_names;
  for (const auto& e : j["traceEvents"]) {
    if (e.at("ph") == "X") complete.push_back(e);
    if (e.at("ph") == "M" && e.at("name") == "thread_name") thread_names.push_back(e["args"]["name"]);
  }
  ASSERT_EQ(complete.size(), 5u);
  EXPECT_EQ(complete[0]["name"], "step");
  EXPECT_EQ(complete[0]["args"]["index"], 2);
  EXPECT_EQ(complete[0]["cat"], "range");
  EXPECT_FALSE(complete[1].contains("args"));  // dit_forward: no index
  EXPECT_EQ(complete[4]["name"], "vae_decode");
  EXPECT_NE(complete[4]["tid"], complete[0]["tid"]);  // the other thread's own track
  EXPECT_EQ(thread_names.size(), 2u);
  for (const auto& e : complete) EXPECT_GE(e["dur"].get<double>(), 0.0);
}

TEST(TraceRecorderTest, PhaseHooksRecordOnThePhaseTrackOnlyWhileActive) {
  TraceRecorder recorder;
  trace::PhaseTraceHooks hooks(recorder);
  { PhaseScope before(&hooks, Phase::kChunk, 0); }
  trace::set_active_recorder(&recorder);
  { PhaseScope chunk(&hooks, Phase::kChunk, 1); }
  trace::set_active_recorder(nullptr);
  const auto events = recorder.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_STREQ(events[0].name, "chunk");
  EXPECT_EQ(events[0].index, 1);
  EXPECT_EQ(events[0].tid, trace::kPhaseTrack);
}

TEST(TraceRecorderTest, KinetoAvailabilityIsStatedAndTheCpuBuildThrowsSayingWhy) {
#if defined(ABLATE_CUDA)
  GTEST_SKIP() << "a CUDA build: Kineto may be there";
#else
  EXPECT_NE(trace::kineto_unavailable_reason().find("no Kineto"), std::string::npos);
  EXPECT_THROW(trace::kineto_start(false), std::runtime_error);
#endif
}

}  // namespace trace_recorder_test
}  // namespace ablate
