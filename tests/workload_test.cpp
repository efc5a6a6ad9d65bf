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

}  // namespace workload_test
}  // namespace ablate
