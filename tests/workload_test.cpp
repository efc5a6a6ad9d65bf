// Workload fields: parsing, the JSON the fingerprint carries, and the checks that name a field.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "experiments/common/json_fields.h"
#include "experiments/runner/workload.h"

namespace ablate {
namespace workload_test {

Workload parse(const nlohmann::json& j) { return parse_workload(JsonFields(j, "spec.json.workload")); }

TEST(WorkloadTest, ThreadsParseAppearInTheJsonOnlyWhenSetAndPinLibTorch) {
  EXPECT_EQ(parse({{"preset", "tiny"}}).threads, 0);
  EXPECT_FALSE(parse({{"preset", "tiny"}}).to_json().contains("threads"));
  const Workload w = parse({{"preset", "tiny"}, {"threads", 1}});
  EXPECT_EQ(w.threads, 1);
  EXPECT_EQ(w.to_json().at("threads"), 1);
  const int before = at::get_num_threads();
  apply_process_settings(w);
  EXPECT_EQ(at::get_num_threads(), 1);
  torch::set_num_threads(before);
}

TEST(WorkloadTest, AThreadCountOutOfRangeNamesTheField) {
  try {
    parse({{"preset", "tiny"}, {"threads", -2}});
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("spec.json.workload.threads: expected 0 (LibTorch's default) or a thread "
                                         "count up to 1024, found -2"),
              std::string::npos)
        << e.what();
  }
}

TEST(WorkloadTest, BatchParsesAppearsInTheJsonOnlyWhenSetAndIsRangeChecked) {
  EXPECT_EQ(parse({{"preset", "tiny"}}).batch, 1);
  EXPECT_FALSE(parse({{"preset", "tiny"}}).to_json().contains("batch"));
  EXPECT_EQ(parse({{"preset", "tiny"}, {"batch", 4}}).to_json().at("batch"), 4);
  for (int bad : {0, -3, 65}) {
    try {
      parse({{"preset", "tiny"}, {"batch", bad}});
      FAIL() << "expected a UsageError for batch " << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("spec.json.workload.batch: expected 1..64 requests per generate(), found " +
                                           std::to_string(bad)),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(WorkloadTest, BatchRequestsHaveConsecutiveSeedsAndTheirPlaceInTheCycle) {
  Workload w = parse({{"preset", "tiny"}, {"seed", 10}, {"batch", 3}, {"prompt_mode", "unique"}, {"request_cycle", 4}});
  const auto requests = make_batch_requests(w, 1, /*index=*/1);
  ASSERT_EQ(requests.size(), 3u);
  for (int64_t b = 0; b < 3; ++b) {
    const auto& r = requests[static_cast<size_t>(b)];
    EXPECT_EQ(r.seed, static_cast<uint64_t>(10 + b));
    EXPECT_EQ(r.variant, (3 + b) % 4);  // requests 3, 4, 5 of the cycle of 4
    EXPECT_EQ(r.prompt, make_request(w, 1, 3 + b).prompt);
  }
  w.batch = 1;
  const auto one = make_batch_requests(w, 1, 2);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].seed, 10u);
  EXPECT_EQ(one[0].variant, make_request(w, 1, 2).variant);
}

}  // namespace workload_test
}  // namespace ablate
