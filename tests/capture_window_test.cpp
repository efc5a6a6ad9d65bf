// CaptureWindow opens the capture range before chunk A's inner hooks run and closes it after
// chunk B's, once per generate(), and on a real tiny generate() brackets exactly chunks A..B.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/pipeline.h"
#include "profiling/capture_window.h"

namespace ablate {
namespace capture_window_test {

// Records every hook call and every profiler edge as one string, in order.
struct Recorder : PhaseHooks {
  std::vector<std::string>* log;
  explicit Recorder(std::vector<std::string>* l) : log(l) {}
  void begin(Phase p, int64_t i) override { log->push_back(std::string("begin ") + phase_name(p) + std::to_string(i)); }
  void end(Phase p, int64_t i) override { log->push_back(std::string("end ") + phase_name(p) + std::to_string(i)); }
};

TEST(ProfileCaptureWindowTest, BracketsChunksAToBOfAGenerate) {
  PipelineOptions opts;
  opts.model = preset("tiny");
  Pipeline pipeline(opts);
  GenerateRequest request;
  request.geometry.size = opts.model.default_size;
  std::vector<std::string> log;
  Recorder inner(&log);
  CaptureWindow window(2, 3, &inner, [&] { log.push_back("start"); }, [&] { log.push_back("stop"); });
  pipeline.generate(request, &window);
  EXPECT_EQ(window.starts(), 1);
  EXPECT_EQ(window.stops(), 1);
  std::vector<std::string> between;
  bool open = false;
  for (const auto& e : log) {
    if (e == "start") open = true;
    if (open && e.rfind("begin chunk", 0) == 0) between.push_back(e);
    if (e == "stop") open = false;
  }
  EXPECT_EQ(between, (std::vector<std::string>{"begin chunk2", "begin chunk3"}));
  const auto at = [&](const std::string& s) { return std::find(log.begin(), log.end(), s) - log.begin(); };
  EXPECT_EQ(at("start") + 1, at("begin chunk2"));  // the window opens right before the chunk begins
  EXPECT_EQ(at("stop") - 1, at("end chunk3"));     // and closes right after it ends
}

}  // namespace capture_window_test
}  // namespace ablate
