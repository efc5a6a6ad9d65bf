// image_cache: hits and misses counted, the same MD5 as without it, and under a `unique` workload
// (a cycle of requests with their own test cards) one hit per request of every repeat of the cycle.
#include <gtest/gtest.h>

#include "core/video_hash.h"
#include "experiments/runner/workload.h"
#include "optimizations/image_cache.h"

namespace ablate::opt {
namespace image_cache_test {

Workload small_workload(const std::string& mode) {
  Workload w;
  w.preset = "tiny";
  w.size = "32*32";
  w.frames = 9;
  w.prompt_mode = mode;
  w.request_cycle = 3;
  return w;
}

// MD5 of each of `n` requests of the workload, with image_cache at `value`.
std::vector<std::string> run_requests(const Workload& w, int n, const std::string& value, ImageCacheStrategy& cache) {
  PipelineOptions o;
  o.model = preset(w.preset);
  Pipeline p(o);
  cache.install(value, p, InstallContext{make_request(w, 1, 0)});
  std::vector<std::string> md5s;
  for (int i = 0; i < n; ++i) md5s.push_back(tensor_md5(video_to_uint8(p.generate(make_request(w, 1, i)).video)));
  return md5s;
}

TEST(ImageCacheTest, RepeatHitsAfterTheFirstRequestWithTheSameVideo) {
  ImageCacheStrategy off, on;
  const auto base = run_requests(small_workload("repeat"), 3, "off", off);
  const auto cached = run_requests(small_workload("repeat"), 3, "on", on);
  EXPECT_EQ(cached, base);
  EXPECT_EQ(on.counters()["misses"], 1);
  EXPECT_EQ(on.counters()["hits"], 2);
  EXPECT_EQ(on.counters()["entries"], 1);
  EXPECT_EQ(off.counters()["misses"], 0);  // off installs nothing
}

TEST(ImageCacheTest, UniqueCycleMissesOnceThenHitsOncePerRepeat) {
  ImageCacheStrategy off, on;
  const auto w = small_workload("unique");
  const auto base = run_requests(w, 3, "off", off);  // one round of the 3-request cycle
  const auto cached = run_requests(w, 6, "on", on);   // two rounds
  for (size_t i = 0; i < cached.size(); ++i) EXPECT_EQ(cached[i], base[i % 3]) << "request " << i;
  EXPECT_NE(base[0], base[1]);  // the requests differ (their own test card and camera path)
  EXPECT_EQ(on.counters()["misses"], 3);
  EXPECT_EQ(on.counters()["hits"], 3);
  EXPECT_EQ(on.counters()["entries"], 3);
}

TEST(ImageCacheTest, BoundedCacheEvictsTheOldestImage) {
  ImageCacheStrategy on;
  on.set_max_entries(2);
  run_requests(small_workload("unique"), 6, "on", on);  // cycle of 3 > 2 entries: every request misses
  EXPECT_EQ(on.counters()["misses"], 6);
  EXPECT_EQ(on.counters()["hits"], 0);
  EXPECT_EQ(on.counters()["entries"], 2);
}

TEST(ImageCacheTest, KeyNamesPixelsShapeAndGeometry) {
  VideoGeometry g;
  g.height = 32;
  g.width = 48;
  g.frames = 9;
  const auto image = torch::zeros({3, 64, 96});
  const std::string key = image_cache_key(image, g);
  EXPECT_EQ(key, tensor_md5(image) + "x3x64x96/32*48/9");
  auto other = image.clone();
  other[0][0][0] = 1e-7f;  // one pixel, one ulp-scale change
  EXPECT_NE(image_cache_key(other, g), key);
  g.frames = 13;
  EXPECT_NE(image_cache_key(image, g), key);
}

}  // namespace image_cache_test
}  // namespace ablate::opt
