// Sharded safetensors: names, the shard plan, the index JSON, and bad indexes.
#include "core/io/safetensors_index.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace safetensors_index_test {

using testing::usage_error_of;

TEST(SafetensorsIndexTest, DiffusersNames) {
  EXPECT_EQ(safetensors_shard_name("diffusion_pytorch_model", 2, 3),
            "diffusion_pytorch_model-00002-of-00003.safetensors");
  EXPECT_EQ(safetensors_index_name("m"), "m.safetensors.index.json");
  EXPECT_EQ(safetensors_single_name("m"), "m.safetensors");
}

TEST(SafetensorsIndexTest, PlanStartsANewShardWhenTheNextTensorDoesNotFit) {
  // bytes: 40, 40, 24, 100, 8 with a 64-byte limit -> [0], [1, 2], [3], [4]
  std::vector<NamedTensor> t = {{"a", torch::zeros({10})},
                                {"b", torch::zeros({10})},
                                {"c", torch::zeros({6})},
                                {"d", torch::zeros({25})},
                                {"e", torch::zeros({2})}};
  const auto plan = plan_shards(t, 64);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan[0], std::vector<size_t>({0}));
  EXPECT_EQ(plan[1], std::vector<size_t>({1, 2}));
  EXPECT_EQ(plan[2], std::vector<size_t>({3}));
  EXPECT_EQ(plan[3], std::vector<size_t>({4}));
  // the stored dtype counts, not the tensor's: as bf16 (106 bytes) everything fits in 110
  for (auto& x : t) x.dtype = torch::kBFloat16;
  EXPECT_EQ(plan_shards(t, 110).size(), 1u);
}

TEST(SafetensorsIndexTest, WritesShardsAndAnIndexThatReadBack) {
  const auto dir = testing::make_scratch_dir("st_index");
  std::vector<NamedTensor> t;
  for (int i = 0; i < 5; ++i) t.push_back({"blocks." + std::to_string(i) + ".w", torch::full({4, 4}, float(i))});
  const auto files = write_sharded_safetensors(dir, "m", t, 2 * 64);
  ASSERT_EQ(files.size(), 4u);  // 3 shards + index
  EXPECT_EQ(files[0], "m-00001-of-00003.safetensors");
  EXPECT_EQ(files[3], "m.safetensors.index.json");
  const auto index = read_safetensors_index(dir + "/" + files[3]);
  EXPECT_EQ(index.total_size, 5u * 64);
  EXPECT_EQ(index.weight_map.at("blocks.4.w"), "m-00003-of-00003.safetensors");
  EXPECT_EQ(index.shard_files(), std::vector<std::string>(files.begin(), files.begin() + 3));
  SafetensorsReader shard(dir + "/m-00002-of-00003.safetensors");
  EXPECT_TRUE(torch::equal(shard.view("blocks.3.w"), torch::full({4, 4}, 3.0f)));
  // one file when it fits
  const auto dir2 = testing::make_scratch_dir("st_index");
  EXPECT_EQ(write_sharded_safetensors(dir2, "m", t, 1 << 20), std::vector<std::string>({"m.safetensors"}));
}

TEST(SafetensorsIndexTest, BadIndexesNameTheFileAndKey) {
  const auto dir = testing::make_scratch_dir("st_index");
  const std::string p = dir + "/i.json";
  testing::write_text(p, R"({"weight_map": {"a.w": "../evil.safetensors"}})");
  auto e = usage_error_of([&] { read_safetensors_index(p); });
  EXPECT_NE(e.find(p + ": weight_map entry of key 'a.w' names '../evil.safetensors'"), std::string::npos) << e;
  testing::write_text(p, R"({"weight_map": {"a.w": 3}})");
  e = usage_error_of([&] { read_safetensors_index(p); });
  EXPECT_NE(e.find(p + ": weight_map entry of key 'a.w' must be a file name"), std::string::npos) << e;
  testing::write_text(p, R"({"metadata": {}})");
  e = usage_error_of([&] { read_safetensors_index(p); });
  EXPECT_NE(e.find(p + ": expected an object with a \"weight_map\" object"), std::string::npos) << e;
  testing::write_text(p, "{");
  e = usage_error_of([&] { read_safetensors_index(p); });
  EXPECT_NE(e.find(p + ": the index does not parse as JSON"), std::string::npos) << e;
}

}  // namespace safetensors_index_test
}  // namespace ablate::io
