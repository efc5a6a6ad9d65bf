// `ablate --version` names the build (commit with a dirty flag, build type, LibTorch, CUDA), and
// every subcommand's --help ends with examples of its own.
#include <gtest/gtest.h>

#include <regex>

#include "tests/cli_test_util.h"

namespace ablate {
namespace cli_version_test {

using testing::contains;
using testing::run_ablate;

TEST(CliVersionTest, VersionNamesCommitBuildTypeLibTorchAndCuda) {
  const auto r = run_ablate("--version");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("^ablate commit ([0-9a-f]{40}(-dirty)?|unknown) \\(at configure "
                                                     "time\\)\nbuild type: [A-Za-z]+\nLibTorch: [0-9]+\\.[0-9]+\\.[0-9]+"
                                                     "\nCUDA: ")))
      << r.output;
#if !defined(ABLATE_CUDA)
  EXPECT_TRUE(contains(r.output, "\nCUDA: none\n")) << r.output;
#endif
}

TEST(CliVersionTest, EverySubcommandHelpEndsWithItsOwnExamples) {
  for (const char* sub : {"generate", "launch", "run", "lock", "check", "compare", "search", "analyze", "experiment",
                          "report", "profile", "export-checkpoint", "list"}) {
    const auto r = testing::run_ablate_quick(std::string(sub) + " --help");
    EXPECT_EQ(r.exit_code, 0) << sub << ": " << r.output;
    const size_t at = r.output.find("Example");
    ASSERT_NE(at, std::string::npos) << sub << ": " << r.output;
    EXPECT_TRUE(contains(r.output.substr(at), std::string("ablate ") + sub)) << sub << ": " << r.output.substr(at);
  }
  EXPECT_TRUE(contains(run_ablate("--help").output, "ablate <subcommand> --help"));
}

}  // namespace cli_version_test
}  // namespace ablate
