#include "core/dit/wan_model.h"

#include <cmath>

#include "core/dist/communicator.h"
#include "core/dit/rope.h"
#include "core/dit/time_embedding.h"
#include "profiling/nvtx.h"

namespace ablate::dit {

WanModelImpl::WanModelImpl(const DitOptions& options_, int64_t local_attn_size, int64_t sink_size,
                           torch::TensorOptions tensor_options)
    : options(options_) {
  const int64_t d = options.dim();
  const auto& p = options.patch_size();
  TORCH_CHECK(d % options.num_heads() == 0 && (d / options.num_heads()) % 2 == 0, "DiT: dim ", d,
              " must split into ", options.num_heads(), " heads of even width");
  patch_embedding = register_module(
      "patch_embedding", torch::nn::Conv3d(torch::nn::Conv3dOptions(options.in_dim(), d, {p[0], p[1], p[2]})
                                               .stride({p[0], p[1], p[2]})));
  patch_embedding_wancamctrl = register_module(
      "patch_embedding_wancamctrl", Linear(LinearOptions(options.control_dim() * 64 * p[0] * p[1] * p[2], d).tensor_options(tensor_options)));
  c2ws_hidden_states_layer1 = register_module("c2ws_hidden_states_layer1", Linear(LinearOptions(d, d).tensor_options(tensor_options)));
  c2ws_hidden_states_layer2 = register_module("c2ws_hidden_states_layer2", Linear(LinearOptions(d, d).tensor_options(tensor_options)));

  // Sequential indices match the reference: text_embedding.{0,2}, time_embedding.{0,2}, time_projection.1
  text_fc1_ = Linear(LinearOptions(options.text_dim(), d).tensor_options(tensor_options));
  text_fc2_ = Linear(LinearOptions(d, d).tensor_options(tensor_options));
  text_embedding = register_module("text_embedding",
      torch::nn::Sequential(text_fc1_, torch::nn::Functional([](torch::Tensor t) { return torch::gelu(t, "tanh"); }), text_fc2_));
  time_fc1_ = Linear(LinearOptions(options.freq_dim(), d).tensor_options(tensor_options));
  time_fc2_ = Linear(LinearOptions(d, d).tensor_options(tensor_options));
  time_embedding = register_module("time_embedding", torch::nn::Sequential(time_fc1_, torch::nn::SiLU(), time_fc2_));
  time_proj_ = Linear(LinearOptions(d, 6 * d).tensor_options(tensor_options));
  time_projection = register_module("time_projection", torch::nn::Sequential(torch::nn::SiLU(), time_proj_));

  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.num_layers(); ++i) {
    blocks->push_back(AttentionBlock(AttentionBlockOptions(d, options.ffn_dim(), options.num_heads())
                                         .local_attn_size(local_attn_size)
                                         .sink_size(sink_size)
                                         .eps(options.eps())
                                         .tensor_options(tensor_options)));
  }
  head = register_module("head", Head(HeadOptions(d, p[0] * p[1] * p[2] * options.out_dim()).eps(options.eps()).tensor_options(tensor_options)));
  freqs_ = rope_table(d / options.num_heads());
}

void WanModelImpl::set_runtime(torch::Device device, const Precision& precision) {
  precision_ = precision;
  freqs_ = freqs_.to(device);
}

torch::Tensor WanModelImpl::embed_text(const torch::Tensor& context) {
  // context: [len, text_dim] -> zero-padded [1, text_len, text_dim] (a batch: [B, text_len,
  // text_dim], padded by the caller) -> [B, text_len, dim]
  torch::Tensor padded = context;
  if (context.dim() == 2) {
    const int64_t len = context.size(0);
    TORCH_CHECK(len <= options.text_len(), "DiT: text context of ", len, " tokens exceeds text_len ",
                options.text_len());
    padded = torch::cat({context, context.new_zeros({options.text_len() - len, context.size(1)})}).unsqueeze(0);
  }
  TORCH_CHECK(padded.dim() == 3 && padded.size(1) == options.text_len(), "DiT: a batch's text context must be [B, ",
              options.text_len(), ", text_dim] (each request zero-padded), got ", padded.sizes());
  const auto c = precision_.compute;
  return linear_as(torch::gelu(linear_as(padded, text_fc1_, c), "tanh"), text_fc2_, c);
}

torch::Tensor WanModelImpl::embed_camera(const torch::Tensor& plucker) {
  // 'b c (f 1) (h 2) (w 2) -> b (f h w) (c 1 2 2)': [B, C, f, H, W] -> [B, f*H/2*W/2, C*4]
  const auto& p = options.patch_size();
  const int64_t b = plucker.size(0), c = plucker.size(1);
  const int64_t f = plucker.size(2) / p[0], h = plucker.size(3) / p[1], w = plucker.size(4) / p[2];
  // 'cam': 6 channels per pixel (rays_o, rays_d); 'act': 7 (rays_d, W, A, S, D); 8x8 pixels per latent
  TORCH_CHECK(c == options.control_dim() * 64, "DiT: the control input has ", c, " channels; a DiT built with "
              "control_dim ", options.control_dim(), " takes ", options.control_dim() * 64, " (", options.control_dim(),
              " per pixel x 8 x 8)");
  auto tokens = plucker.reshape({b, c, f, p[0], h, p[1], w, p[2]})
                    .permute({0, 2, 4, 6, 1, 3, 5, 7})
                    .reshape({b, f * h * w, c * p[0] * p[1] * p[2]});
  const auto dt = precision_.compute;
  auto emb = linear_as(tokens, patch_embedding_wancamctrl, dt);
  auto hidden = linear_as(torch::silu(linear_as(emb, c2ws_hidden_states_layer1, dt)), c2ws_hidden_states_layer2, dt);
  return emb + hidden;
}

std::pair<torch::Tensor, torch::Tensor> WanModelImpl::embed_time(const torch::Tensor& t, int64_t batch,
                                                                 int64_t tokens, FrequencyTable table) {
  ABLATE_NVTX_RANGE("time_embed");
  // t: [B] -> per token [B * tokens] -> sinusoid [B * tokens, freq_dim] float64 -> float32 GEMMs
  auto positions = batch == 1 ? t.expand({tokens}) : t.view({batch, 1}).expand({batch, tokens}).reshape({-1});
  auto sinusoid = sinusoidal_embedding_1d(options.freq_dim(), positions, table).to(torch::kFloat);
  auto e = linear_as(torch::silu(linear_as(sinusoid, time_fc1_, torch::kFloat)), time_fc2_, torch::kFloat);
  auto e0 = linear_as(torch::silu(e), time_proj_, torch::kFloat).unflatten(1, {6, options.dim()});
  // [B, L, dim], [B, L, 6, dim]
  return {e.view({batch, tokens, e.size(1)}), e0.view({batch, tokens, 6, options.dim()})};
}

torch::Tensor WanModelImpl::unpatchify(const torch::Tensor& x, const std::array<int64_t, 3>& grid) {
  // x: [B, L, prod(patch)*c] -> per request 'fhwpqrc->cfphqwr' -> [B, c, f*pt, h*ph, w*pw]
  const auto& p = options.patch_size();
  const int64_t c = options.out_dim();
  const auto [f, h, w] = grid;
  std::vector<torch::Tensor> videos;
  for (int64_t b = 0; b < x.size(0); ++b) {
    auto u = x[b].slice(0, 0, f * h * w).view({f, h, w, p[0], p[1], p[2], c});
    videos.push_back(u.permute({6, 0, 3, 1, 4, 2, 5}).reshape({c, f * p[0], h * p[1], w * p[2]}));
  }
  return videos.size() == 1 ? videos[0].unsqueeze(0) : torch::stack(videos);
}

torch::Tensor WanModelImpl::forward(const DitInputs& in, KvCaches& caches, const ForwardArgs& args) {
  ABLATE_NVTX_RANGE("dit_forward");
  TORCH_CHECK(static_cast<int64_t>(caches.self.size()) == num_layers(), "DiT: expected ", num_layers(),
              " layer caches, got ", caches.self.size());
  const auto compute = precision_.compute;
  const int64_t world = comm ? comm->size() : 1, rank = comm ? comm->rank() : 0;
  if (unit_hooks) unit_hooks->before(-1);
  // [B, 16 + 20, f, H, W] -> patch embedding [B, dim, f, H/2, W/2] -> tokens [B, L, dim]
  const bool batched = in.batched();
  auto xin = batched ? torch::cat({in.x, in.y}, 1) : torch::cat({in.x, in.y}, 0).unsqueeze(0);
  const int64_t batch = xin.size(0);
  TORCH_CHECK(in.t.numel() == batch || in.t.numel() == 1, "DiT: ", batch, " requests need ", batch,
              " timesteps (or one for all), got ", in.t.sizes());
  TORCH_CHECK(in.plucker.size(0) == batch, "DiT: ", batch, " requests need ", batch, " control inputs, got ",
              in.plucker.sizes());
  TORCH_CHECK(!batched || !args.embed_text || (in.context.dim() == 3 && in.context.size(0) == batch), "DiT: ",
              batch, " requests need a context [", batch, ", text_len, text_dim], got ", in.context.sizes());
  auto emb = torch::nn::functional::conv3d(
      xin.to(compute), patch_embedding->weight.to(compute),
      torch::nn::functional::Conv3dFuncOptions().bias(patch_embedding->bias.to(compute)).stride(options.patch_size()));
  std::array<int64_t, 3> grid{emb.size(2), emb.size(3), emb.size(4)};
  // token-major and contiguous, as the reference's torch.cat(x) leaves it (a transposed view would
  // carry its strides into the residual stream's elementwise kernels)
  auto x = emb.flatten(2).transpose(1, 2).contiguous();
  const int64_t tokens = x.size(1);
  // sequence parallel: pad the token axis to a multiple of the world size
  const int64_t padded = (tokens + world - 1) / world * world;
  auto pad_tokens = [&](const torch::Tensor& t) {
    if (padded == tokens) return t;
    auto shape = t.sizes().vec();
    shape[1] = padded - tokens;
    return torch::cat({t, t.new_zeros(shape)}, 1);
  };
  x = pad_tokens(x);

  BlockContext ctx;
  ctx.grid = grid;
  ctx.grid_sizes = torch::tensor({grid[0], grid[1], grid[2]}, torch::kLong).view({1, 3});
  ctx.seq_lens = torch::tensor({tokens}, torch::kLong);
  ctx.freqs = freqs_;
  ctx.compute = compute;
  ctx.args = &args;
  ctx.comm = comm;
  ctx.tokens = tokens;
  ctx.padded_tokens = padded;
  ctx.kernels = kernels;
  // for every padded token, replicated on every rank (or once, broadcast: same values per token)
  const auto t = in.t.numel() == batch ? in.t.view({batch}) : in.t.view({1}).expand({batch});
  const auto table = args.device_time_frequencies ? FrequencyTable::kDevice : FrequencyTable::kHostCopy;
  const int64_t time_tokens = args.broadcast_time_embedding ? 1 : padded;
  auto compute_time = [&] { return embed_time(t, batch, time_tokens, table); };
  auto [e, e0] = args.time_embedding ? args.time_embedding(batch, time_tokens, compute_time) : compute_time();
  if (args.broadcast_time_embedding) {
    e = e.expand({batch, padded, e.size(2)});
    e0 = e0.expand({batch, padded, e0.size(2), e0.size(3)});
  }
  if (args.embed_text) ctx.context = embed_text(in.context);
  auto embed_cam = [&] { return ForwardArgs::CameraTerms{pad_tokens(embed_camera(in.plucker)), {}}; };
  auto cam = args.camera_terms ? args.camera_terms(-1, embed_cam).first : embed_cam().first;
  if (world > 1) {
    x = x.chunk(world, 1)[rank];
    e = e.chunk(world, 1)[rank];
    e0 = e0.chunk(world, 1)[rank];
    cam = cam.chunk(world, 1)[rank];
  }
  ctx.e0 = e0;
  ctx.cam = cam;

  torch::Tensor first_block_out;  // block 0's output, for the block-stack reuse seam
  for (int64_t i = 0; i < num_layers(); ++i) {
    if (i == 1 && kernels && kernels->reuse_blocks) {
      if (auto reused = kernels->reuse_blocks(first_block_out)) {
        x = *reused;  // blocks 1..n-1 skipped: their caches keep what they hold
        first_block_out = torch::Tensor();
        break;
      }
    }
    ABLATE_NVTX_RANGE("block", i);
    if (unit_hooks) unit_hooks->before(i);
    ctx.block = i;
    x = blocks[i]->as<AttentionBlockImpl>()->forward(x, ctx, caches.self[i], caches.cross[i]);
    if (unit_hooks) unit_hooks->after(i);
    if (block_observer) block_observer(i, x);
    if (i == 0) first_block_out = x;
  }
  if (kernels && kernels->blocks_ran && first_block_out.defined() && num_layers() > 1)
    kernels->blocks_ran(first_block_out, x);
  auto out = head(x, e);  // [B, L/world, 64] float32
  if (unit_hooks) unit_hooks->after(-1);
  if (world > 1) out = comm->all_gather(out, 1);  // [B, padded, 64], every rank
  auto v = unpatchify(out, grid).to(torch::kFloat);  // [B, 16, f, lat_h, lat_w]
  return batched ? v : v[0];
}

InitSpec dit_init_rule(const std::string& name, const torch::Tensor& param) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  auto contains = [&](const char* s) { return name.find(s) != std::string::npos; };
  const double fan_in = param.dim() >= 2 ? static_cast<double>(param.numel() / param.size(0)) : 1.0;
  const double dim = static_cast<double>(param.size(-1));
  if (contains("norm_q.") || contains("norm_k.") || ends_with("norm3.weight")) return InitSpec::constant(1.0);
  if (ends_with("norm3.bias")) return InitSpec::constant(0.0);
  // modulation ~ randn / sqrt(dim) as the reference's init
  if (ends_with("modulation")) return InitSpec::uniform(1.0 / std::sqrt(dim));
  if (ends_with(".bias")) return InitSpec::uniform(0.01);
  // adaLN scale/shift/gate come from here: keep them ~0.2 so (1 + scale) and the gates stay
  // moderate through 40 blocks instead of multiplying the residual stream by O(1) factors
  if (contains("time_projection")) return InitSpec::uniform(0.2 / std::sqrt(fan_in));
  // camera scale/shift multiply the residual stream every block: (1 + s) with s ~ 0.05
  if (contains("cam_scale_layer") || contains("cam_shift_layer")) return InitSpec::uniform(0.05 / std::sqrt(fan_in));
  // the flow prediction v: x0 = x_t - sigma v keeps latents near unit scale when v is ~0.5
  // (the reference zero-inits this layer, which would make v = 0 and the DiT a no-op)
  if (ends_with("head.head.weight")) return InitSpec::uniform(0.5 / std::sqrt(fan_in));
  // everything else: fan-in scaling keeps each GEMM's output at the input's scale
  return InitSpec::uniform(1.0 / std::sqrt(fan_in));
}

}  // namespace ablate::dit
