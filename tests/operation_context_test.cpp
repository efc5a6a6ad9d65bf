// OperationScope records the operations an escaping exception crossed (innermost first), forgets
// them when a new operation starts, and error_summary cuts LibTorch's backtrace off.
#include "experiments/common/operation_context.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

namespace ablate {
namespace operation_context_test {

void fail_inside(const std::string& outer, const std::string& inner) {
  OperationScope a(outer);
  OperationScope b(inner);
  throw std::runtime_error("boom");
}

TEST(OperationContext, RecordsTheScopesAnExceptionCrossedInnermostFirst) {
  try {
    fail_inside("building the tiny pipeline", "loading the VAE");
    FAIL();
  } catch (const std::runtime_error&) {
    ASSERT_EQ(failed_operations().size(), 2u);
    EXPECT_EQ(failed_operations()[0], "loading the VAE");
    EXPECT_EQ(failed_operations()[1], "building the tiny pipeline");
    EXPECT_EQ(failed_operation_text(), "while loading the VAE, during building the tiny pipeline");
  }
  { OperationScope ok("generating request 0"); }  // a new operation: the handled failure is forgotten
  EXPECT_TRUE(failed_operations().empty());
  EXPECT_EQ(failed_operation_text(), "");
  try {
    OperationScope only("generating request 3");
    throw std::runtime_error("again");
  } catch (const std::runtime_error&) {
    EXPECT_EQ(failed_operation_text(), "while generating request 3");
  }
}

TEST(OperationContext, ErrorSummaryIsOneLineWithoutTheBacktrace) {
  try {
    TORCH_CHECK(false, "shapes differ: [2, 3] vs [3, 2]");
    FAIL();
  } catch (const c10::Error& e) {
    EXPECT_EQ(error_summary(e), "shapes differ: [2, 3] vs [3, 2]");
  }
  EXPECT_EQ(error_summary(std::runtime_error("first\nsecond")), "first");
}

}  // namespace operation_context_test
}  // namespace ablate
