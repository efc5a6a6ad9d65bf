// HostWorker (core/host_worker.h) and the phase hooks called from two host threads at once.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <future>
#include <map>
#include <vector>

#include "core/host_worker.h"
#include "core/side_stream.h"
#include "profiling/phase_timer.h"
#include "profiling/trace_recorder.h"

namespace ablate {
namespace {

TEST(HostWorkerTest, RunsWorkInOrderOnAnotherThreadAndDrainWaitsForAll) {
  HostWorker worker;
  std::vector<int> order;
  std::promise<void> release;
  auto gate = release.get_future().share();
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  worker.submit([&, gate] {
    gate.wait();  // submit() returned while this one still runs
    ran_on = std::this_thread::get_id();
    order.push_back(0);
  });
  for (int i = 1; i < 5; ++i) worker.submit([&order, i] { order.push_back(i); });
  EXPECT_LT(worker.completed(), 5);
  release.set_value();
  worker.drain();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(worker.completed(), 5);
  EXPECT_NE(ran_on, caller);
}

TEST(HostWorkerTest, AnErrorSkipsLaterWorkAndDrainRethrowsItOnce) {
  HostWorker worker;
  std::atomic<int> ran{0};
  worker.submit([&] { ++ran; });
  worker.submit([] { throw std::runtime_error("decode of chunk 1 failed"); });
  worker.submit([&] { ++ran; });  // depends on what failed: skipped
  try {
    worker.drain();
    FAIL() << "drain() should rethrow the work's error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "decode of chunk 1 failed");
  }
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(worker.completed(), 3);
  worker.submit([&] { ++ran; });  // reported once: the worker runs again
  EXPECT_NO_THROW(worker.drain());
  EXPECT_EQ(ran.load(), 2);
}

TEST(HostWorkerTest, WorkSeesTheSubmittersGradModeAndThreadCount) {
  HostWorker worker;
  bool grad_enabled = true;
  int threads = 0;
  {
    torch::NoGradGuard no_grad;
    worker.submit([&] {
      grad_enabled = torch::GradMode::is_enabled();
      threads = at::get_num_threads();
    });
  }
  worker.drain();
  EXPECT_FALSE(grad_enabled);
  EXPECT_EQ(threads, at::get_num_threads());
}

TEST(HostWorkerTest, DestructionWaitsForQueuedWorkAndDropsItsErrors) {
  std::atomic<int> ran{0};
  {
    HostWorker worker;
    worker.submit([] { throw std::runtime_error("never reported"); });
    worker.submit([&] { ++ran; });  // skipped after the error
    worker.submit([&] { ++ran; });
  }  // no throw, no hang
  EXPECT_EQ(ran.load(), 0);
  std::atomic<int> done{0};
  {
    HostWorker worker;
    for (int i = 0; i < 3; ++i) worker.submit([&] { ++done; });
  }
  EXPECT_EQ(done.load(), 3);
}

TEST(HostWorkerTest, ACpuSideStreamOnItsOwnThreadRunsWorkThereAndDrainReportsErrors) {
  auto stream = make_side_stream(torch::kCPU, SideStreamHost::kOwnThread);
  std::thread::id ran_on;
  stream->run([&] { ran_on = std::this_thread::get_id(); });
  stream->drain();
  EXPECT_NE(ran_on, std::this_thread::get_id());
  stream->run([] { throw std::runtime_error("side work failed"); });
  EXPECT_THROW(stream->drain(), std::runtime_error);
  auto inline_stream = make_side_stream(torch::kCPU);
  inline_stream->run([&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

// A chunk phase on this thread, a decode phase on another, interleaved: begin(chunk 1),
// begin(decode 0) [other], end(chunk 1), end(decode 0) [other]. Each thread's phases nest.
void interleave(PhaseHooks& hooks) {
  std::promise<void> decode_open, chunk_closed;
  hooks.begin(Phase::kGenerate, -1);
  hooks.begin(Phase::kChunk, 1);
  std::thread decode([&] {
    hooks.begin(Phase::kVaeDecode, 0);
    decode_open.set_value();
    chunk_closed.get_future().wait();
    hooks.end(Phase::kVaeDecode, 0);
  });
  decode_open.get_future().wait();
  hooks.end(Phase::kChunk, 1);
  chunk_closed.set_value();
  decode.join();
  hooks.end(Phase::kGenerate, -1);
}

TEST(HostWorkerTest, PhaseTimerTimesPhasesOfTwoThreadsThatInterleave) {
  PhaseTimer timer(torch::kCPU);
  interleave(timer);
  std::map<std::string, double> ms;
  for (const auto& t : timer.finish()) ms[t.label()] = t.host_ms;
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_GE(ms["vae_decode[0]"], 0);
  EXPECT_GE(ms["generate"], ms["chunk[1]"]);
  // a phase this thread did not open is still an error
  timer.begin(Phase::kChunk, 0);
  EXPECT_THROW(timer.end(Phase::kChunk, 1), c10::Error);
}

TEST(HostWorkerTest, PhaseTraceHooksPutAnotherThreadsPhasesOnTheirOwnTrack) {
  trace::TraceRecorder recorder;
  trace::set_active_recorder(&recorder);
  trace::PhaseTraceHooks hooks(recorder);
  interleave(hooks);
  trace::set_active_recorder(nullptr);
  std::map<std::string, int> track;
  for (const auto& e : recorder.events()) {
    EXPECT_GE(e.end_us, e.begin_us) << e.name;
    track[std::string(e.name) + "[" + std::to_string(e.index) + "]"] = e.tid;
  }
  EXPECT_EQ(track["generate[-1]"], trace::kPhaseTrack);
  EXPECT_EQ(track["chunk[1]"], trace::kPhaseTrack);
  EXPECT_LT(track["vae_decode[0]"], trace::kPhaseTrack);
  EXPECT_TRUE(trace::is_phase_track(track["vae_decode[0]"]));
  const std::string json = recorder.to_chrome_json();
  EXPECT_NE(json.find("\"phases (thread "), std::string::npos);
}

}  // namespace
}  // namespace ablate
