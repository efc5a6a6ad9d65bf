// The NVTX range tree of `ablate generate`, as a profiler sees it: the CLI runs with the
// recording injection library (tests/nvtx_tree_injection.cpp) and the tree it writes is checked
// against the geometry the same run reports in its JSON.
#include <gtest/gtest.h>

#include "tests/cli_test_util.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "core/config.h"

namespace ablate {
namespace nvtx_tree_test {

#if defined(ABLATE_NVTX_INJECTION)

struct Range {
  std::string name;
  int64_t index = -1;  // -1: no payload
  std::vector<Range> children;
  std::string label() const { return index < 0 ? name : name + "[" + std::to_string(index) + "]"; }
};

struct RecordedTree {
  std::map<std::string, int64_t> counters;  // from the header line
  std::vector<Range> roots;
};

// Parses the injection's output: "# ... key=value ..." then one range per line, indented by depth.
RecordedTree read_tree(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "no tree at " << path << ": the injection library did not load or write";
  RecordedTree tree;
  std::string line;
  std::getline(f, line);
  std::regex kv("([a-z_]+)=([0-9]+)");
  for (std::sregex_iterator it(line.begin(), line.end(), kv), end; it != end; ++it)
    tree.counters[(*it)[1]] = std::stoll((*it)[2]);
  std::vector<Range*> path_to;  // open ancestors by depth
  std::regex entry("( *)([A-Za-z0-9_]+)(\\[(-?[0-9]+)\\])?(.*)");
  while (std::getline(f, line)) {
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, entry)) << "unexpected line: " << line;
    EXPECT_EQ(m[5].str(), "") << "range not named by a registered string: " << line;
    const size_t depth = m[1].length() / 2;
    Range r{m[2], m[3].matched ? std::stoll(m[4]) : -1, {}};
    path_to.resize(depth);
    auto& siblings = depth == 0 ? tree.roots : path_to.back()->children;
    siblings.push_back(r);
    path_to.push_back(&siblings.back());
  }
  return tree;
}

struct Run {
  int exit_code;
  std::string output;
  nlohmann::json json;
  RecordedTree tree;
};

// Runs `ablate <args> --json ...` with the recording injection; `launch` wraps the generate args.
Run run_recorded(const std::string& name, const std::string& prefix, const std::string& generate_args) {
  const std::string dir = std::string(ABLATE_BINARY_DIR) + "/nvtx-tree-test-" + name;
  const std::string json_path = dir + ".json", tree_path = dir + "-rank%r.txt";
  std::remove(json_path.c_str());
  const auto result = testing::run_shell("NVTX_INJECTION64_PATH=" + std::string(ABLATE_NVTX_INJECTION) +
                                         " ABLATE_NVTX_TREE_OUT=" + tree_path + " " + testing::ablate_binary() + " " +
                                         prefix + " generate " + generate_args + " --json " + json_path);
  Run r{result.exit_code, result.output, {}, {}};
  if (r.exit_code != 0) return r;
  std::ifstream f(json_path);
  r.json = nlohmann::json::parse(f);
  r.tree = read_tree(dir + "-rank0.txt");
  return r;
}

std::vector<std::string> labels(const std::vector<Range>& ranges) {
  std::vector<std::string> out;
  for (const auto& r : ranges) out.push_back(r.label());
  return out;
}

int64_t count_named(const Range& r, const std::string& name) {
  int64_t n = r.name == name;
  for (const auto& c : r.children) n += count_named(c, name);
  return n;
}

const Range* child(const Range& r, const std::string& name) {
  for (const auto& c : r.children)
    if (c.name == name) return &c;
  return nullptr;
}

void collect_names(const Range& r, std::set<std::string>& names) {
  names.insert(r.name);
  for (const auto& c : r.children) collect_names(c, names);
}

// Every range is named by a registered string, and each string is registered once per call site
// (each name has one call site) and then reused by every range that site opens.
void expect_registered_names(const RecordedTree& t) {
  std::set<std::string> names;
  int64_t ranges = 0;
  for (const auto& r : t.roots) collect_names(r, names);
  for (const auto& name : names)
    for (const auto& r : t.roots) ranges += count_named(r, name);
  EXPECT_EQ(t.counters.at("ascii_names"), 0);
  EXPECT_EQ(t.counters.at("unbalanced_pops"), 0);
  EXPECT_EQ(t.counters.at("registered_names"), ranges);
  EXPECT_EQ(t.counters.at("registered_strings"), static_cast<int64_t>(names.size()));
}

// One dit_forward: time_embed, then block[0..layers-1], each holding self_attn, cross_attn, ffn.
void expect_forward(const Range& forward, int64_t layers, const std::string& where) {
  std::vector<std::string> blocks;
  for (const auto& c : forward.children)
    if (c.name == "block") blocks.push_back(c.label());
  std::vector<std::string> expected;
  for (int64_t k = 0; k < layers; ++k) expected.push_back("block[" + std::to_string(k) + "]");
  ASSERT_EQ(blocks, expected) << where;
  for (const auto& b : forward.children) {
    if (b.name != "block") continue;
    std::vector<std::string> parts;
    for (const auto& c : b.children)
      if (c.name == "self_attn" || c.name == "cross_attn" || c.name == "ffn") parts.push_back(c.name);
    ASSERT_EQ(parts, (std::vector<std::string>{"self_attn", "cross_attn", "ffn"})) << where << " " << b.label();
  }
}

// generate > text_encode? | vae_encode | chunk[i] > step[j] | refresh[steps] > dit_forward ; vae_decode
void expect_generate(const Range& g, const nlohmann::json& geometry, int64_t layers, bool text_encode) {
  const int64_t chunks = geometry["chunks"], forwards = geometry["forwards"];
  const int64_t steps = forwards / chunks - 1;  // each chunk: the denoising steps + one refresh
  ASSERT_EQ(steps, 4) << geometry.dump();
  std::vector<std::string> expected;
  if (text_encode) expected.push_back("text_encode");
  expected.push_back("vae_encode");
  for (int64_t i = 0; i < chunks; ++i) expected.push_back("chunk[" + std::to_string(i) + "]");
  expected.push_back("vae_decode");
  ASSERT_EQ(labels(g.children), expected);
  EXPECT_EQ(count_named(g, "dit_forward"), forwards);
  EXPECT_EQ(count_named(g, "block"), forwards * layers);
  for (const auto& c : g.children) {
    if (c.name != "chunk") continue;
    std::vector<std::string> slots;
    for (int64_t j = 0; j < steps; ++j) slots.push_back("step[" + std::to_string(j) + "]");
    slots.push_back("refresh[" + std::to_string(steps) + "]");
    ASSERT_EQ(labels(c.children), slots) << c.label();
    for (const auto& s : c.children) {
      ASSERT_EQ(labels(s.children), std::vector<std::string>{"dit_forward"}) << c.label() << " " << s.label();
      expect_forward(s.children[0], layers, c.label() + " " + s.label());
    }
  }
}

TEST(NvtxTreeTest, BaselineGenerateHasTheDocumentedTree) {
  const auto r = run_recorded("baseline", "", "--preset tiny --size 32*32 --device cpu --runs 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_registered_names(r.tree);
  ASSERT_EQ(labels(r.tree.roots), std::vector<std::string>{"generate"});
  const int64_t layers = preset("tiny").dit.num_layers();
  expect_generate(r.tree.roots[0], r.json["geometry"], layers, /*text_encode=*/true);
  EXPECT_EQ(r.json["geometry"]["forwards"], 35);  // 81 frames: 7 chunks x (4 steps + refresh)
}

TEST(NvtxTreeTest, TextCacheDropsTheSecondTextEncode) {
  const auto r = run_recorded("text-cache", "", "--preset tiny --size 32*32 --frames 17 --device cpu --runs 2 --set text_cache=on");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_registered_names(r.tree);
  ASSERT_EQ(labels(r.tree.roots), (std::vector<std::string>{"generate", "generate"}));
  const int64_t layers = preset("tiny").dit.num_layers();
  expect_generate(r.tree.roots[0], r.json["geometry"], layers, /*text_encode=*/true);
  expect_generate(r.tree.roots[1], r.json["geometry"], layers, /*text_encode=*/false);
}

#if defined(ABLATE_GLOO)
// Two Gloo ranks: one range per collective call, so the ranges inside generate match the
// communicator's own counts in the JSON; the Ulysses all-to-alls sit inside self_attn.
TEST(NvtxTreeTest, TwoRanksHaveOneRangePerCollective) {
  const auto r = run_recorded("two-ranks", "launch --nproc 2 --", "--preset tiny --size 32*32 --frames 17 --runs 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_registered_names(r.tree);
  // around generate: the command's barriers (and whatever the build gathers), all at the top level
  const Range* top = nullptr;
  for (const auto& root : r.tree.roots) {
    if (root.name != "generate") continue;
    ASSERT_EQ(top, nullptr) << "two generate ranges for --runs 1";
    top = &root;
  }
  ASSERT_NE(top, nullptr) << "no generate range";
  const Range& g = *top;
  const auto& collectives = r.json["runs"][0]["collectives"];
  ASSERT_FALSE(collectives.empty()) << r.json.dump();
  for (const auto& [name, c] : collectives.items()) EXPECT_EQ(count_named(g, name), c["calls"].get<int64_t>()) << name;
  const Range* chunk = child(g, "chunk");
  ASSERT_NE(chunk, nullptr);
  const Range* step = child(*chunk, "step");
  ASSERT_NE(step, nullptr);
  const Range* forward = child(*step, "dit_forward");
  ASSERT_NE(forward, nullptr);
  EXPECT_NE(child(*forward, "all_gather"), nullptr);  // the head's output, gathered across ranks
  const Range* block = child(*forward, "block");
  ASSERT_NE(block, nullptr);
  const Range* attn = child(*block, "self_attn");
  ASSERT_NE(attn, nullptr);
  EXPECT_GT(count_named(*attn, "all_to_all"), 0);
}
#endif

#else
TEST(NvtxTreeTest, NeedsNvtx) { GTEST_SKIP() << "built without NVTX3 headers (ABLATE_ENABLE_NVTX=OFF or none found)"; }
#endif

}  // namespace nvtx_tree_test
}  // namespace ablate
