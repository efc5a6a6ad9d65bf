// Token ids from an .npy file: padded to text_len with id 0 and a mask of the real length, the same
// from [L] and [1, L] and from int32 and int64; bad files named with what was expected.
#include "core/io/token_ids_file.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/io/npy.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace token_ids_file_test {

using testing::usage_error_of;

class TokenIdsFileTest : public ::testing::Test {
 protected:
  std::string dir_ = testing::make_scratch_dir("token_ids_file");
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
};

TEST_F(TokenIdsFileTest, IdsArePaddedWithZeroAndMasked) {
  write_npy(path("ids.npy"), torch::tensor({37, 5, 4095, 1}, torch::kLong));
  const auto t = read_token_ids(path("ids.npy"), 8);
  EXPECT_EQ(t.length, 4);
  EXPECT_TRUE(torch::equal(t.ids, torch::tensor({{37, 5, 4095, 1, 0, 0, 0, 0}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(t.mask, torch::tensor({{1, 1, 1, 1, 0, 0, 0, 0}}, torch::kLong)));
  // [1, L] int32 gives the same
  write_npy(path("ids32.npy"), torch::tensor({{37, 5, 4095, 1}}, torch::kInt));
  const auto u = read_token_ids(path("ids32.npy"), 8);
  EXPECT_TRUE(torch::equal(u.ids, t.ids));
  EXPECT_TRUE(torch::equal(u.mask, t.mask));
  EXPECT_EQ(u.length, 4);
  // exactly text_len ids: no padding
  const auto full = read_token_ids(path("ids.npy"), 4);
  EXPECT_TRUE(torch::equal(full.mask, torch::ones({1, 4}, torch::kLong)));
}

TEST_F(TokenIdsFileTest, BadFilesAreNamed) {
  write_npy(path("f.npy"), torch::tensor({1.0f, 2.0f}));
  EXPECT_EQ(usage_error_of([&] { read_token_ids(path("f.npy"), 8); }),
            path("f.npy") + ": expected token ids as [L] or [1, L] int32 or int64, found [2] float32");
  write_npy(path("two.npy"), torch::zeros({2, 3}, torch::kLong));
  EXPECT_EQ(usage_error_of([&] { read_token_ids(path("two.npy"), 8); }),
            path("two.npy") + ": expected token ids as [L] or [1, L] int32 or int64, found [2, 3] int64");
  write_npy(path("long.npy"), torch::ones({9}, torch::kLong));
  EXPECT_EQ(usage_error_of([&] { read_token_ids(path("long.npy"), 8); }),
            path("long.npy") + ": expected 1 to 8 token ids (the text encoder's text_len), found 9");
  write_npy(path("empty.npy"), torch::zeros({0}, torch::kLong));
  EXPECT_EQ(usage_error_of([&] { read_token_ids(path("empty.npy"), 8); }),
            path("empty.npy") + ": expected 1 to 8 token ids (the text encoder's text_len), found 0");
  write_npy(path("neg.npy"), torch::tensor({3, -2, 1}, torch::kLong));
  EXPECT_EQ(usage_error_of([&] { read_token_ids(path("neg.npy"), 8); }), path("neg.npy") + ": expected token ids >= 0, found -2");
  EXPECT_NE(usage_error_of([&] { read_token_ids(path("missing.npy"), 8); }).find(path("missing.npy")), std::string::npos);
}

}  // namespace token_ids_file_test
}  // namespace ablate::io
