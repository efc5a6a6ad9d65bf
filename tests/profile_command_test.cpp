// `ablate profile` as a user meets it on the CPU: a bad --chunks exits 2 naming the flag and the
// valid range; a good one prints the nsys/ncu command lines for the same run and says that no
// CUDA profiler API is there.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

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

// --batch profiles the batched generate(), as generate --batch runs it
TEST(ProfileCommandTest, BatchProfilesTheBatchedGenerate) {
  const auto r = run_ablate("profile --preset tiny --size 32*32 --frames 9 --batch 2 --chunks 0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "capture window: chunks 0-0 of the second generate() (the first warms up), each a "
                                 "batch of 2 requests")) << r.output;
  EXPECT_TRUE(contains(r.output, "captured generate: chunks 0-0 took")) << r.output;
  const auto bad = run_ablate("profile --preset tiny --batch 0");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(contains(bad.output, "--batch: '0' is out of range; expected an integer in [1, 64]")) << bad.output;
}

// A range of the trace with its children: the tree a profiler's NVTX view shows.
struct TraceNode {
  std::string label;  // "block[2]"
  double begin = 0, end = 0;
  std::vector<TraceNode> children;
};

// Sorted by begin (the longer first), a node's parent is the last node at each level holding it.
void insert_node(std::vector<TraceNode>& siblings, const TraceNode& n) {
  if (!siblings.empty() && siblings.back().begin <= n.begin && n.end <= siblings.back().end) {
    insert_node(siblings.back().children, n);
  } else {
    siblings.push_back(n);
  }
}

// The ranges of each thread (not the phase track) nested by time containment.
std::vector<TraceNode> range_forest(const nlohmann::json& trace) {
  std::map<int64_t, std::vector<TraceNode>> by_thread;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") != "X" || e.at("cat") != "range") continue;
    std::string label = e.at("name");
    if (e.contains("args")) label += "[" + std::to_string(e["args"]["index"].get<int64_t>()) + "]";
    const double ts = e.at("ts");
    by_thread[e.at("tid").get<int64_t>()].push_back({label, ts, ts + e.at("dur").get<double>(), {}});
  }
  std::vector<TraceNode> roots;
  for (auto& [tid, nodes] : by_thread) {
    std::stable_sort(nodes.begin(), nodes.end(), [](const TraceNode& a, const TraceNode& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    std::vector<TraceNode> thread_roots;
    for (const auto& n : nodes) insert_node(thread_roots, n);
    roots.insert(roots.end(), thread_roots.begin(), thread_roots.end());
  }
  return roots;
}

std::vector<std::string> labels(const std::vector<TraceNode>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(n.label);
  return out;
}

TEST(ProfileCommandTest, TraceOnTheCpuHoldsTheWindowsRangesNestedAsTheNvtxTree) {
  const std::string dir = testing::make_scratch_dir("profile_trace");
  const std::string path = dir + "/trace.json";
  const auto r = run_ablate("profile --preset tiny --size 32*32 --chunks 1-2 --trace " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "trace: " + path + " (Ablate's own ranges and phases; this build's LibTorch has no "
                                 "Kineto profiler")) << r.output;
  EXPECT_TRUE(contains(r.output, "ui.perfetto.dev")) << r.output;
  const auto trace = testing::read_json(path);
  // the phase track: the window's two chunks
  std::vector<std::string> phases;
  for (const auto& e : trace.at("traceEvents"))
    if (e.at("ph") == "X" && e.at("cat") == "phase" && e.at("name") == "chunk") phases.push_back(std::to_string(e["args"]["index"].get<int>()));
  EXPECT_EQ(phases, (std::vector<std::string>{"1", "2"}));
  // the ranges: chunk[1] and chunk[2] (a chunk's decode may sit between them), each with its steps,
  // each step one dit_forward of the preset's 3 blocks, each block its attention and FFN
  std::vector<const TraceNode*> chunks;
  const auto roots = range_forest(trace);
  for (const auto& n : roots)
    if (n.label.rfind("chunk[", 0) == 0) chunks.push_back(&n);
  ASSERT_EQ(chunks.size(), 2u) << testing::read_text(path).substr(0, 2000);
  EXPECT_EQ(chunks[0]->label, "chunk[1]");
  EXPECT_EQ(chunks[1]->label, "chunk[2]");
  for (const TraceNode* chunk : chunks) {
    std::vector<std::string> kids = labels(chunk->children);
    ASSERT_GE(kids.size(), 2u) << chunk->label;
    EXPECT_EQ(kids.front(), "step[0]");
    EXPECT_EQ(kids.back().rfind("refresh[", 0), 0u) << kids.back();
    for (const auto& step : chunk->children) {
      if (step.label.rfind("step[", 0) != 0) continue;
      std::vector<const TraceNode*> forwards;
      for (const auto& c : step.children)
        if (c.label == "dit_forward") forwards.push_back(&c);
      ASSERT_EQ(forwards.size(), 1u) << step.label;
      std::vector<std::string> blocks;
      for (const auto& c : forwards[0]->children)
        if (c.label.rfind("block[", 0) == 0) {
          blocks.push_back(c.label);
          const auto inner = labels(c.children);
          EXPECT_NE(std::find(inner.begin(), inner.end(), "self_attn"), inner.end()) << c.label;
          EXPECT_NE(std::find(inner.begin(), inner.end(), "ffn"), inner.end()) << c.label;
        }
      EXPECT_EQ(blocks, (std::vector<std::string>{"block[0]", "block[1]", "block[2]"})) << step.label;
    }
  }
  // nothing from outside the window: no text encode, no chunk 0 or 3
  for (const auto& n : roots) {
    EXPECT_NE(n.label, "text_encode");
    EXPECT_NE(n.label, "chunk[0]");
  }
}

TEST(ProfileCommandTest, TraceIntoAMissingFolderExitsTwo) {
  const auto r = run_ablate("profile --preset tiny --trace /nonexistent-folder/trace.json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--trace /nonexistent-folder/trace.json: the folder /nonexistent-folder does not exist"))
      << r.output;
}

}  // namespace profile_command_test
}  // namespace ablate
