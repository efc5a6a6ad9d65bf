// `ablate profile` as a user meets it on the CPU: a bad --chunks exits 2 naming the flag and the
// valid range; a good one prints the nsys/ncu command lines for the same run and says that no
// CUDA profiler API is there.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "experiments/cli/profile_command.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace profile_command_test {

using testing::contains;
using testing::run_ablate;

VideoGeometry seven_chunks() {
  VideoGeometry g;
  g.num_chunks = 7;
  g.chunk_size = 3;
  return g;
}

TEST(ProfileCommandTest, ChunkWindowParsesAndValidates) {
  const auto g = seven_chunks();
  EXPECT_EQ(parse_chunk_window("2-3", g).first, 2);
  EXPECT_EQ(parse_chunk_window("2-3", g).last, 3);
  EXPECT_EQ(parse_chunk_window("4", g).last, 4);
  EXPECT_EQ(parse_chunk_window("", g).first, 6);  // default: the last chunk
  for (const char* bad : {"7", "2-9", "3-2", "x", "-1", "1-"}) {
    try {
      parse_chunk_window(bad, g);
      ADD_FAILURE() << "accepted --chunks " << bad;
    } catch (const UsageError& e) {
      EXPECT_TRUE(contains(e.what(), std::string("--chunks ") + bad)) << e.what();
      EXPECT_TRUE(contains(e.what(), "valid chunks are 0-6")) << e.what();
    }
  }
}

TEST(ProfileCommandTest, CommandLinesRepeatTheRunWithCaptureRangeAndNvtxFilters) {
  const auto lines = profiler_command_lines({"build/experiments/ablate", "profile", "--prompt", "a b's", "--chunks", "2-3"},
                                            ChunkWindow{2, 3});
  ASSERT_GE(lines.size(), 3u);
  const std::string run = "build/experiments/ablate profile --prompt 'a b'\\''s' --chunks 2-3";
  EXPECT_EQ(lines[0], "nsys profile --capture-range=cudaProfilerApi --capture-range-end=stop -t cuda,nvtx "
                      "-o ablate-chunks-2-3 " + run);
  bool ncu_filtered = false;
  for (const auto& l : lines)
    ncu_filtered |= contains(l, "ncu --profile-from-start off --nvtx --nvtx-include \"ablate@self_attn/\"") && contains(l, run);
  EXPECT_TRUE(ncu_filtered);
}

TEST(ProfileCommandTest, BadChunkRangeExitsTwoWithAMessage) {
  auto r = run_ablate("profile --preset tiny --chunks 2-9");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--chunks 2-9: chunk 9 is out of range; valid chunks are 0-6 (this geometry has 7 "
                                 "chunks of 3 latent frames)")) << r.output;
  r = run_ablate("profile --preset tiny --frames 17 --chunks 1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "valid chunks are 0-0")) << r.output;
}

TEST(ProfileCommandTest, GoodRangeRunsAndPrintsTheCommandLines) {
  const auto r = run_ablate("profile --preset tiny --size 32*32 --chunks 2-3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string run = std::string(ABLATE_BINARY_DIR) + "/experiments/ablate profile --preset tiny --size '32*32' --chunks 2-3";
  EXPECT_TRUE(contains(r.output, "capture window: chunks 2-3")) << r.output;
  EXPECT_TRUE(contains(r.output, "nsys profile --capture-range=cudaProfilerApi --capture-range-end=stop -t cuda,nvtx "
                                 "-o ablate-chunks-2-3 " + run)) << r.output;
  EXPECT_TRUE(contains(r.output, "ncu --profile-from-start off --nvtx --nvtx-include \"ablate@self_attn/\"")) << r.output;
  EXPECT_TRUE(contains(r.output, "no CUDA profiler API is there")) << r.output;
  EXPECT_TRUE(contains(r.output, "captured generate: chunks 2-3 took")) << r.output;
}

}  // namespace profile_command_test
}  // namespace ablate
