// `ablate launch --nproc 2 -- generate --checkpoint-dir`: each rank reads only its own slices of
// the exported checkpoint, reports its load (time, peak host RSS) and gives the seeded run's MD5;
// a missing or short shard file exits 2 naming it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "tests/cli_test_util.h"

namespace ablate {
namespace sharded_load_command_test {

namespace fs = std::filesystem;
using testing::run_ablate;

const char* kTwoRanks = "launch --nproc 2 -- generate --preset tiny --size 32*32 --frames 9 --dtype bf16";

using testing::printed_md5;

// tiny exported with its DiT in several files (diffusion_pytorch_model-0000k-of-0000n)
std::string export_tiny(const std::string& name) {
  const std::string dir = testing::fresh_dir(name) + "/ckpt";
  const auto r = run_ablate("export-checkpoint --preset tiny --max-shard-bytes 400000 --out " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return dir;
}

std::vector<std::string> dit_shard_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("diffusion_pytorch_model-", 0) == 0) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ShardedLoadCommandTest, TwoRanksLoadTheirOwnSlicesAndKeepTheSeededMd5) {
  const std::string dir = export_tiny("sharded-load-cli");
  const std::string json = fs::path(dir).parent_path().string() + "/loaded.json";
  const auto seeded = run_ablate(kTwoRanks);
  const auto loaded = run_ablate(std::string(kTwoRanks) + " --checkpoint-dir " + dir + " --json " + json);
  ASSERT_EQ(seeded.exit_code, 0) << seeded.output;
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  EXPECT_EQ(printed_md5(seeded.output).size(), 32u) << seeded.output;
  EXPECT_EQ(printed_md5(loaded.output), printed_md5(seeded.output)) << loaded.output;
  // each rank reports its load: its own slices, the time and the peak host RSS
  for (const std::string rank : {"0", "1"}) {
    const std::regex line("rank " + rank + " loaded checkpoint " + dir +
                          " in [0-9.]+ s \\(its own slices, [0-9]+ files, .* read, shards kept .*\\), peak host RSS "
                          "[0-9.]+ [MG]iB.*\\(before loading [0-9.]+ [MG]iB, largest file [0-9.]+ [MG]iB\\)");
    EXPECT_TRUE(std::regex_search(loaded.output, line)) << "rank " << rank << ":\n" << loaded.output;
  }
  const auto j = testing::read_json(json)["checkpoint_load"];
  EXPECT_TRUE(j["rank_slices"].get<bool>());
  EXPECT_GT(j["shard_bytes"].get<int64_t>(), 0);
  EXPECT_GT(j["peak_rss_bytes"].get<int64_t>(), 0);
  EXPECT_GE(j["largest_file_bytes"].get<int64_t>(), 400000 / 2);
  EXPECT_GT(j["files"].get<int64_t>(), 3);  // T5, VAE and several DiT shards
}

TEST(ShardedLoadCommandTest, AMissingOrShortShardFileExitsTwoNamingIt) {
  const std::string dir = export_tiny("sharded-load-bad");
  const auto shards = dit_shard_files(dir);
  ASSERT_GE(shards.size(), 2u) << "the export should have split the DiT";
  // the last shard cut short: its header promises more bytes than the file holds
  const std::string last = shards.back();
  fs::resize_file(last, fs::file_size(last) - 100);
  auto r = run_ablate(std::string(kTwoRanks) + " --checkpoint-dir " + dir);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(last), std::string::npos) << r.output;
  // the first shard gone
  fs::remove(shards.front());
  r = run_ablate(std::string(kTwoRanks) + " --checkpoint-dir " + dir);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(shards.front()), std::string::npos) << r.output;
}

}  // namespace sharded_load_command_test
}  // namespace ablate
