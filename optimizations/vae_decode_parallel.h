// vae_decode_parallel: at world > 1 every rank decodes a horizontal band of each frame instead of
// rank 0 decoding the whole video while the others wait at the final barrier (the reference).
// Rank r takes latent rows [r H / w, (r + 1) H / w) (vae::RowSlab): conv1, middle.0 and the
// middle attention run on the whole latent frame on every rank (the attention attends over the
// whole frame; the latent is the same on every rank after the denoising, so recomputing this
// cheap low-resolution prefix replaces gathering its input), then each rank keeps only its band
// plus a halo as deep as the 3x3 convolutions still reach (15 latent rows after the attention,
// 12/10/7 after the three upsamples), cropping again after each upsample; each causal conv caches
// the band's own input, so the feature caches stay right across frames. One all-gather of the
// bands (padded to equal rows) brings the video to rank 0. Tier A: the band's rows are computed
// from the same values by the same ops (bit-identical at 2 Gloo ranks on the CPU, tested).
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class VaeDecodeParallelStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  int64_t decodes_ = 0, band_rows_ = 0, height_rows_ = 0, gathered_bytes_ = 0;
};

// The band of latent rows rank `rank` of `world` decodes out of `height`: [r H / w, (r + 1) H / w).
vae::RowSlab decode_band(int64_t height, int rank, int world);

// Decodes `latents` [16, T, h, w] split in bands over the ranks of `comm` and gathers the video
// [3, 1 + 4 (T - 1), 8h, 8w] on every rank (what vae.decode(latents) gives).
torch::Tensor decode_in_bands(vae::WanVaeImpl& vae, const torch::Tensor& latents, dist::Communicator& comm);

}  // namespace ablate::opt
