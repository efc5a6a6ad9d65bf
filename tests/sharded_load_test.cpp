// Loading a checkpoint at world 2 (two Gloo ranks on two threads of this process): each rank
// reading only its own slices keeps exactly the shards that slicing a whole load keeps, the same
// video as the whole load and as the seeded run the checkpoint was exported from, and exactly
// 1/world of the sharded units' bytes (plus padding).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <thread>

#include "core/dist/communicator.h"
#include "core/dist/param_shards.h"
#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/pipeline.h"
#include "core/video_hash.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace sharded_load_test {

constexpr int kWorld = 2;

PipelineOptions tiny_bf16() {
  PipelineOptions o;
  o.model = preset("tiny");
  o.precision = Precision::for_name("bf16");
  return o;
}

// A port nobody listens on now (the kernel's choice for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  return ok ? ntohs(a.sin_port) : 29500 + static_cast<int>(::getpid() % 1000);
}

// Runs body(comm) on kWorld threads, one rank each; the first failure is rethrown here.
void on_two_ranks(const std::function<void(dist::Communicator&)>& body) {
  const int port = free_port();
  std::array<std::exception_ptr, kWorld> errors;
  std::vector<std::thread> threads;
  for (int rank = 0; rank < kWorld; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        dist::WorldInfo w;
        w.rank = rank;
        w.size = kWorld;
        w.local_rank = rank;
        w.master_port = port;
        dist::Communicator comm(w, torch::kCPU, std::chrono::seconds(60));
        body(comm);
      } catch (...) {
        errors[static_cast<size_t>(rank)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::string failures;  // every rank's error: the first one to fail is not always rank 0
  for (size_t r = 0; r < errors.size(); ++r) {
    if (!errors[r]) continue;
    try {
      std::rethrow_exception(errors[r]);
    } catch (const UsageError& e) {
      if (failures.empty() && std::string(e.what()).find("no collective backend") != std::string::npos) throw;
      failures += "\nrank " + std::to_string(r) + ": " + e.what();
    } catch (const std::exception& e) {
      failures += "\nrank " + std::to_string(r) + ": " + e.what();
    }
  }
  if (!failures.empty()) throw std::runtime_error("on two ranks:" + failures);
}

bool has_gloo() {
  try {
    on_two_ranks([](dist::Communicator&) {});
    return true;
  } catch (const UsageError& e) {
    if (std::string(e.what()).find("no collective backend") != std::string::npos) return false;
    throw;
  }
}

// The tiny seeded bf16 weights exported once (several DiT shard files).
const std::string& exported() {
  static const std::string dir = [] {
    const std::string d = testing::make_scratch_dir("sharded-load") + "/ckpt";
    Pipeline seeded(tiny_bf16());
    io::ExportOptions o;
    o.max_shard_bytes = 400000;
    io::export_checkpoint(d, {seeded.dit().get(), seeded.text_encoder().model().get(), seeded.vae().get()},
                          preset("tiny"), o);
    return d;
  }();
  return dir;
}

// Bytes rank `rank` keeps of `module`'s units: shard_numel(unit) elements of the unit's dtype.
int64_t expected_shard_bytes(torch::nn::Module& module, int64_t blocks) {
  int64_t bytes = 0;
  for (const auto& unit : dist::units_by_block_prefix(module, "blocks", blocks)) {
    int64_t numel = 0;
    for (const auto& p : unit) numel += p.numel();
    if (!unit.empty()) bytes += dist::shard_numel(numel, kWorld) * static_cast<int64_t>(unit[0].element_size());
  }
  return bytes;
}

struct RankRun {
  std::string md5, latents_md5;
  std::vector<std::string> chain;
  int64_t shard_bytes = 0, bytes_read = 0, empty_dit_params = 0;
  bool rank_slices = false;
};

RankRun run(Pipeline& p) {
  RankRun r;
  r.shard_bytes = p.shard_bytes();
  r.bytes_read = p.load_stats().bytes_read;
  r.rank_slices = p.load_stats().rank_slices;
  for (const auto& t : p.dit()->parameters()) r.empty_dit_params += t.numel() == 0;
  GenerateRequest req;
  req.geometry.size = "32*32";
  req.geometry.frames = 9;
  const auto out = p.generate(req);
  if (out.video.defined()) r.md5 = tensor_md5(video_to_uint8(out.video));
  r.latents_md5 = tensor_md5(out.latents);
  r.chain = hash_chain(out.step_latents);
  return r;
}

TEST(ShardedLoadTest, ShardNumelIsThePaddedUnitOverTheWorld) {
  EXPECT_EQ(dist::shard_numel(10, 2), 5);
  EXPECT_EQ(dist::shard_numel(11, 2), 6);
  EXPECT_EQ(dist::shard_numel(11, 3), 4);
  EXPECT_EQ(dist::shard_numel(0, 2), 0);
  EXPECT_EQ(dist::shard_numel(7, 1), 7);
}

TEST(ShardedLoadTest, OwnSlicesGiveTheWholeLoadsShardsBytesAndVideo) {
  if (!has_gloo()) GTEST_SKIP() << "this build has no Gloo backend (libgloo-dev)";
  const std::string dir = exported();
  // the expected bytes per rank, from a world-1 model's units
  Pipeline whole_one([&] {
    auto o = tiny_bf16();
    o.checkpoint_dir = dir;
    return o;
  }());
  const int64_t dit_bytes = expected_shard_bytes(*whole_one.dit(), whole_one.dit()->num_layers());
  const int64_t t5_bytes = expected_shard_bytes(*whole_one.text_encoder().model(), preset("tiny").t5.num_layers());
  const int64_t whole_read = whole_one.load_stats().bytes_read;
  int64_t vae_bytes = 0;
  for (const auto& p : whole_one.vae()->parameters()) vae_bytes += p.numel() * 4;  // stored float32

  std::array<RankRun, kWorld> slices, whole, seeded;
  on_two_ranks([&](dist::Communicator& comm) {
    const auto r = static_cast<size_t>(comm.rank());
    auto o = tiny_bf16();
    o.comm = &comm;
    {
      Pipeline p(o);  // the seeded run the checkpoint was exported from, at world 2
      seeded[r] = run(p);
    }
    o.checkpoint_dir = dir;
    {
      Pipeline p(o);  // each rank reads its own slices
      slices[r] = run(p);
    }
    o.load_rank_slices = false;
    {
      Pipeline p(o);  // everything read, then sliced
      whole[r] = run(p);
    }
  });
  EXPECT_EQ(slices[0].md5.size(), 32u);
  EXPECT_EQ(slices[0].md5, whole[0].md5);
  EXPECT_EQ(slices[0].md5, seeded[0].md5);
  for (size_t r = 0; r < kWorld; ++r) {
    SCOPED_TRACE("rank " + std::to_string(r));
    EXPECT_TRUE(slices[r].rank_slices);
    EXPECT_FALSE(whole[r].rank_slices);
    EXPECT_EQ(slices[r].latents_md5, whole[r].latents_md5);
    EXPECT_EQ(slices[r].latents_md5, seeded[r].latents_md5);
    EXPECT_EQ(slices[r].chain, whole[r].chain);
    EXPECT_EQ(slices[r].chain, seeded[r].chain);
    // exactly 1/world of each unit's padded flat parameter, and no full DiT parameter left
    EXPECT_EQ(slices[r].shard_bytes, dit_bytes + t5_bytes);
    EXPECT_EQ(whole[r].shard_bytes, dit_bytes + t5_bytes);
    EXPECT_EQ(slices[r].empty_dit_params, static_cast<int64_t>(whole_one.dit()->parameters().size()));
    EXPECT_EQ(whole[r].bytes_read, whole_read);
  }
  // the ranks' slices cover the stored DiT and T5 bytes once; each rank reads the whole VAE
  EXPECT_EQ(slices[0].bytes_read + slices[1].bytes_read, whole_read + vae_bytes);
  EXPECT_LT(slices[1].bytes_read, whole_read / 2 + vae_bytes);
}

TEST(ShardedLoadTest, APreloadedShardIsCheckedThenGatheredWithoutItsPadding) {
  if (!has_gloo()) GTEST_SKIP() << "this build has no Gloo backend (libgloo-dev)";
  on_two_ranks([](dist::Communicator& comm) {
    std::vector<std::vector<torch::Tensor>> units{{torch::zeros({3, 3}), torch::zeros({2})}};  // 11 -> [6] per rank
    try {
      dist::ParamShards shards(units, {torch::zeros({5})}, &comm, dist::Residency::kFullShard);
      ADD_FAILURE() << "a [5] shard of an 11-element unit was taken";
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what()).find("must be [6] Float; found [5] Float"), std::string::npos)
          << e.what();
    }
    dist::ParamShards ok(units, {torch::arange(6, torch::kFloat) + 6 * comm.rank()}, &comm,
                         dist::Residency::kFullShard);
    EXPECT_EQ(ok.shard_bytes(), 6 * 4);
    EXPECT_EQ(units[0][0].numel(), 0) << "the full parameter is dropped";
    ok.before(-1);  // gathers the root: rank 0's [0..5] then rank 1's [6..11], the padding dropped
    EXPECT_TRUE(torch::equal(units[0][0], torch::arange(9, torch::kFloat).view({3, 3})));
    EXPECT_TRUE(torch::equal(units[0][1], torch::arange(9, 11, torch::kFloat)));
  });
}

}  // namespace sharded_load_test
}  // namespace ablate
