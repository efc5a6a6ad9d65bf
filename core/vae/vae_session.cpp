// EncodeSession / DecodeSession: the reference's encode/decode loops, one push at a time.
#include "core/vae/vae_session.h"

#include "core/vae/wan_vae.h"

namespace ablate::vae {

namespace {

void check_video(const torch::Tensor& v, const torch::Tensor& weight, const char* who) {
  TORCH_CHECK(v.dim() == 4 && v.size(0) == 3, who, ": expected frames [3, n, H, W], but got ",
              v.sizes());
  TORCH_CHECK(v.size(2) % 8 == 0 && v.size(3) % 8 == 0, who,
              ": expected H and W to be multiples of 8, but got ", v.size(2), "x", v.size(3));
  TORCH_CHECK(v.scalar_type() == torch::kFloat, who, ": expected float32 frames, but got ",
              v.scalar_type());
  TORCH_CHECK(v.device() == weight.device(), who, ": expected frames on ", weight.device(),
              ", but got ", v.device());
}

}  // namespace

EncodeSession::EncodeSession(WanVaeImpl& vae, ActivationProbe probe)
    : vae_(vae), probe_(std::move(probe)) {}

torch::Tensor EncodeSession::push(const torch::Tensor& frames) {
  torch::NoGradGuard no_grad;
  check_video(frames, vae_.conv1()->weight, "EncodeSession::push");
  const int64_t n = frames.size(1);
  const bool first = latent_frames_ == 0;
  if (first) {
    TORCH_CHECK(n % 4 == 1,
                "EncodeSession::push: expected 1 + 4k frames on the first push, but got ", n);
  } else {
    TORCH_CHECK(n % 4 == 0 && n > 0, "EncodeSession::push: expected 4k (k >= 1) frames after the ",
                "first push, but got ", n);
  }
  torch::Tensor x = vae_.to_compute(frames.unsqueeze(0));  // [1, 3, n, H, W] in the compute dtype
  std::vector<torch::Tensor> outs;
  std::vector<CacheSlot> before_previous;  // the cache before the predecessor group (when it repeats)
  bool previous_repeats = false, previous_reused = false;
  int64_t start = 0;
  while (start < n) {
    const int64_t len = (first && start == 0) ? 1 : 4;  // the first pixel frame goes alone
    // this group's frames all lie in the declared repeating region: same input as the predecessor's
    const bool repeats = reuse_ && repeating_from_ >= 0 && start >= repeating_from_ && len == 4;
    bool reuse = false;
    if (reuse_) {
      EncodeGroupSite site;
      site.group = latent_frames_ + static_cast<int64_t>(outs.size());
      site.repeats_previous = repeats && previous_repeats;
      site.previous_reused = previous_reused;
      site.cache = &cache_.slots();
      site.previous_cache = &before_previous;
      reuse = reuse_(site) && site.repeats_previous;
    }
    std::vector<CacheSlot> before;
    if (repeats) before = cache_.slots();  // shallow: slots are replaced, never written into
    if (reuse) {
      outs.push_back(outs.back());  // the fixed point: same output, cache unchanged
    } else {
      cache_.rewind();
      // [1, 3, len, H, W] -> [1, 2z, 1, H/8, W/8]
      outs.push_back(vae_.encoder()->forward(x.slice(2, start, start + len), &cache_, probe_, execute_stage_)
                         .to(torch::kFloat));
    }
    before_previous = std::move(before);
    previous_repeats = repeats;
    previous_reused = reuse;
    start += len;
  }
  // conv1 on all of this push's encoder outputs (the whole video for encode()); keep mu only.
  torch::Tensor out = torch::cat(outs, 2);                       // [1, 2z, g, h, w]
  torch::Tensor mu = vae_.conv1()->forward(out).chunk(2, 1)[0];  // [1, z, g, h, w]
  if (probe_) probe_("conv1", mu);
  latent_frames_ += static_cast<int64_t>(outs.size());
  return vae_.normalize_latent(mu).squeeze(0);  // [z, g, h, w]
}

void EncodeSession::set_group_reuse(EncodeGroupReuse decide, int64_t repeating_from) {
  reuse_ = std::move(decide);
  repeating_from_ = repeating_from;
}

DecodeSession::DecodeSession(WanVaeImpl& vae, ActivationProbe probe, int64_t total_frames)
    : vae_(vae), probe_(std::move(probe)), total_frames_(total_frames) {}

torch::Tensor DecodeSession::push(const torch::Tensor& latent) {
  torch::NoGradGuard no_grad;
  const int64_t z_dim = vae_.options().z_dim();
  TORCH_CHECK(latent.dim() == 4 && latent.size(0) == z_dim && latent.size(1) >= 1,
              "DecodeSession::push: expected latent [", z_dim, ", t >= 1, h, w], but got ",
              latent.sizes());
  TORCH_CHECK(latent.scalar_type() == torch::kFloat,
              "DecodeSession::push: expected a float32 latent, but got ", latent.scalar_type());
  TORCH_CHECK(latent.device() == vae_.conv2()->weight.device(), "DecodeSession::push: expected ",
              "the latent on ", vae_.conv2()->weight.device(), ", but got ", latent.device());
  const int64_t t = latent.size(1);
  torch::Tensor x;
  if (total_frames_ > 0) {
    TORCH_CHECK(latent_frames_ + t <= total_frames_, "DecodeSession::push: ", t, " more latent frames after ",
                latent_frames_, " exceed the declared total of ", total_frames_);
    if (!window_.defined()) {
      window_ = torch::zeros({1, z_dim, total_frames_, latent.size(2), latent.size(3)}, latent.options());
    }
    TORCH_CHECK(window_.size(3) == latent.size(2) && window_.size(4) == latent.size(3),
                "DecodeSession::push: expected latent frames of ", window_.size(3), "x", window_.size(4),
                ", but got ", latent.size(2), "x", latent.size(3));
    window_.slice(2, latent_frames_, latent_frames_ + t).copy_(latent.unsqueeze(0));
    // the one-shot decode's ops on the one-shot shape; this push's frames sliced out afterwards
    x = vae_.conv2()->forward(vae_.unnormalize_latent(window_)).slice(2, latent_frames_, latent_frames_ + t);
  } else {
    torch::Tensor z = vae_.unnormalize_latent(latent.unsqueeze(0));  // [1, z, t, h, w]
    x = vae_.conv2()->forward(z);  // 1x1x1, all pushed frames at once
  }
  if (probe_) probe_("conv2", x);
  x = vae_.to_compute(x);
  std::vector<torch::Tensor> outs;
  for (int64_t i = 0; i < t; ++i) {
    cache_.rewind();
    // [1, z, 1, h, w] -> [1, 3, 1 or 4, 8h, 8w]
    auto step = [&](const torch::Tensor& in) {
      cache_.rewind();
      return vae_.decoder()->forward(in, &cache_, probe_, has_slab_ ? &slab_ : nullptr);
    };
    const torch::Tensor in = x.slice(2, i, i + 1);
    torch::Tensor y = execute_ ? execute_(DecodeStep{latent_frames_ + i, in, cache_, step}) : step(in);
    outs.push_back(y.to(torch::kFloat));
  }
  latent_frames_ += t;
  // Wan2_1_VAE.decode clamps the decoded video to [-1, 1].
  return torch::cat(outs, 2).clamp(-1.0, 1.0).squeeze(0);  // [3, n, 8h, 8w]
}

void DecodeSession::set_row_slab(const RowSlab& slab) {
  TORCH_CHECK(latent_frames_ == 0, "DecodeSession::set_row_slab: expected no frame decoded yet, but ",
              latent_frames_, " were");
  slab_ = slab;
  has_slab_ = true;
}

}  // namespace ablate::vae
