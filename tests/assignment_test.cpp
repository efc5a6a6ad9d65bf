// The one parser of strategy settings: the same bad value gets the same message through every
// flag and file that takes one (--set, --shard, --axis, --stack, --candidate, a spec's axes,
// stack and combinations).
#include "experiments/runner/assignment.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace assignment_test {

const std::string kBadValue = "strategy sync_elim has no value 'maybe'; valid values: off, on";
const std::string kBadName = "unknown strategy 'warp_drive'; valid strategies: prewarm,";

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(AssignmentTest, ParsesAndNamesWhatIsWrong) {
  EXPECT_EQ(parse_assignment("sync_elim=on", "--set"), (std::pair<std::string, std::string>{"sync_elim", "on"}));
  EXPECT_EQ(parse_axis("shard=full,grad_op", "--axis").second, (std::vector<std::string>{"full", "grad_op"}));
  EXPECT_EQ(message_of([] { parse_assignment("sync_elim=maybe", "--set"); }), "--set: " + kBadValue);
  EXPECT_EQ(message_of([] { parse_axis("sync_elim=off,maybe", "--axis"); }), "--axis: " + kBadValue);
  EXPECT_EQ(message_of([] { parse_assignment("sync_elim", "--set"); }),
            "--set: expected name=value (e.g. sync_elim=on), found 'sync_elim'");
  EXPECT_EQ(message_of([] { parse_axis("sync_elim=on,on", "--axis"); }), "--axis: strategy sync_elim lists value 'on' twice");
  EXPECT_EQ(message_of([] { parse_assignments({"sync_elim=on", "sync_elim=off"}, "--set"); }),
            "--set: strategy sync_elim is set twice ('on' and 'off')");
  EXPECT_NE(message_of([] { parse_assignment("warp_drive=on", "--set"); }).find(kBadName), std::string::npos);
}

TEST(AssignmentTest, EveryFlagAndFileGivesTheSameMessage) {
  const std::string dir = testing::fresh_dir("assignment");
  testing::write_text(dir + "/axes.json", R"({"axes": {"sync_elim": ["off", "maybe"]}})");
  testing::write_text(dir + "/stack.json", R"({"mode": "stack", "stack": ["sync_elim=maybe"]})");
  testing::write_text(dir + "/list.json", R"({"mode": "list", "combinations": [{"sync_elim": "maybe"}]})");
  testing::write_text(dir + "/good.json", R"({"mode": "stack", "stack": ["sync_elim=on"]})");
  for (const std::string& args :
       {std::string("generate --set sync_elim=maybe"), std::string("profile --set sync_elim=maybe"),
        std::string("run --axis sync_elim=off,maybe --out " + dir + "/o1"),
        std::string("run --mode stack --stack sync_elim=maybe --out " + dir + "/o2"),
        std::string("search --matrix " + dir + "/good.json --candidate sync_elim=maybe --out " + dir + "/o3"),
        std::string("run --matrix " + dir + "/axes.json --out " + dir + "/o4"),
        std::string("run --matrix " + dir + "/stack.json --out " + dir + "/o5"),
        std::string("run --matrix " + dir + "/list.json --out " + dir + "/o6")}) {
    testing::expect_usage_error(args, kBadValue);
  }
  // the aliases of --set go through the same parser and the same checks
  testing::expect_usage_error("generate --shard sometimes", "--shard: strategy shard has no value 'sometimes'");
  testing::expect_usage_error("generate --shard grad_op", "shard needs world size > 1 (this run has 1)");
  testing::expect_usage_error("generate --set shard=grad_op", "shard needs world size > 1 (this run has 1)");
}

}  // namespace assignment_test
}  // namespace ablate
