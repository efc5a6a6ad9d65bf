#include "optimizations/kernels/fused_ops.h"

#include <ATen/cuda/CUDAContext.h>

#include <stdexcept>
#include <string>

#include "optimizations/kernels/elementwise_kernels.h"
#include "optimizations/kernels/vae_norm_kernels.h"

namespace ablate::opt::kernels {
namespace {

bool elem_of(torch::Dtype d, Elem& e) {
  if (d == torch::kFloat) e = Elem::kFloat;
  else if (d == torch::kBFloat16) e = Elem::kBFloat16;
  else return false;
  return true;
}

bool aligned16(const torch::Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0; }

void check_launch(const char* kernel) {
  const std::string e = last_error();
  if (!e.empty()) throw std::runtime_error(std::string("CUDA kernel ") + kernel + " failed to launch: " + e);
}

// The modulation operands when they fit the kernels: e0 [B, L, 6, dim] float32 with dim and chunk
// contiguous (token/batch strides free, 0 for a broadcast); modulation to float32 as the eager
// `modulation.to(float)`.
bool modulation_of(const torch::Tensor& like, const torch::Tensor& modulation, const torch::Tensor& e0,
                   torch::Tensor& mod32, Modulation& m) {
  if (like.dim() != 3 || e0.dim() != 4 || !e0.is_cuda() || e0.scalar_type() != torch::kFloat) return false;
  const int64_t b = like.size(0), l = like.size(1), dim = like.size(2);
  if (dim % 4 != 0 || e0.size(0) != b || e0.size(1) != l || e0.size(2) != 6 || e0.size(3) != dim) return false;
  if (e0.stride(3) != 1 || e0.stride(2) != dim || modulation.numel() != 6 * dim) return false;
  mod32 = modulation.to(torch::kFloat).reshape({6, dim}).contiguous();
  m.modulation = mod32.data_ptr<float>();
  m.e0 = e0.data_ptr<float>();
  m.e0_batch_stride = b == 1 ? 0 : e0.stride(0);
  m.e0_token_stride = e0.stride(1);
  m.batch = b;
  m.tokens = l;
  m.dim = dim;
  return true;
}

}  // namespace

torch::Tensor fused_modulate(const torch::Tensor& normed, const torch::Tensor& modulation, const torch::Tensor& e0,
                             int64_t shift_index, torch::Dtype out_dtype) {
  Elem out_elem;
  if (!normed.is_cuda() || !elem_of(out_dtype, out_elem) || shift_index < 0 || shift_index > 4) return {};
  torch::Tensor mod32;
  Modulation m;
  if (!modulation_of(normed, modulation, e0, mod32, m)) return {};
  auto n32 = normed.to(torch::kFloat).contiguous();  // the eager `.to(float)`: exact
  if (!aligned16(n32)) return {};
  auto out = torch::empty(n32.sizes(), n32.options().dtype(out_dtype));
  modulate(n32.data_ptr<float>(), m, static_cast<int>(shift_index), out.data_ptr(), out_elem,
           at::cuda::getCurrentCUDAStream());
  check_launch("modulate");
  return out;
}

torch::Tensor fused_gated_residual(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& modulation,
                                   const torch::Tensor& e0, int64_t gate_index) {
  Elem y_elem;
  if (!x.is_cuda() || !y.is_cuda() || !elem_of(y.scalar_type(), y_elem) || x.sizes() != y.sizes()) return {};
  if (gate_index < 0 || gate_index > 5) return {};
  torch::Tensor mod32;
  Modulation m;
  if (!modulation_of(x, modulation, e0, mod32, m)) return {};
  auto x32 = x.to(torch::kFloat).contiguous();  // x + (float32) promotes x to float32: exact
  auto yc = y.contiguous();
  if (!aligned16(x32)) return {};
  auto out = torch::empty_like(x32);
  gated_residual(x32.data_ptr<float>(), yc.data_ptr(), y_elem, m, static_cast<int>(gate_index), out.data_ptr<float>(),
                 at::cuda::getCurrentCUDAStream());
  check_launch("gated_residual");
  return out;
}

torch::Tensor fused_cam_modulate(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& shift) {
  Elem elem;
  if (!x.is_cuda() || x.scalar_type() != torch::kFloat || !elem_of(scale.scalar_type(), elem)) return {};
  if (shift.scalar_type() != scale.scalar_type() || scale.sizes() != x.sizes() || shift.sizes() != x.sizes()) return {};
  auto xc = x.contiguous(), sc = scale.contiguous(), sh = shift.contiguous();
  auto out = torch::empty_like(xc);
  cam_modulate(xc.data_ptr<float>(), sc.data_ptr(), sh.data_ptr(), elem, xc.numel(), out.data_ptr<float>(),
               at::cuda::getCurrentCUDAStream());
  check_launch("cam_modulate");
  return out;
}

torch::Tensor fused_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  Elem elem;
  // same dtype for x and weight: the eager result keeps it (other pairs promote: left to the eager ops)
  if (!x.is_cuda() || x.dim() < 1 || !elem_of(x.scalar_type(), elem) || weight.scalar_type() != x.scalar_type() ||
      weight.dim() != 1 || weight.size(0) != x.size(-1) || x.numel() == 0 || x.size(-1) % 4 != 0)
    return {};
  auto xc = x.contiguous(), wc = weight.contiguous();
  const int64_t dim = xc.size(-1), rows = xc.numel() / dim;
  auto squares = torch::empty(xc.sizes(), xc.options().dtype(torch::kFloat));
  rms_square(xc.data_ptr(), elem, xc.numel(), squares.data_ptr<float>(), at::cuda::getCurrentCUDAStream());
  check_launch("rms_square");
  // the eager reduction and rsqrt on the same float32 squares: the same bits
  auto inv_rms = torch::rsqrt(squares.mean(-1, /*keepdim=*/true) + eps).contiguous();
  auto out = torch::empty_like(xc);
  rms_apply(xc.data_ptr(), inv_rms.data_ptr<float>(), wc.data_ptr(), elem, rows, dim, out.data_ptr(),
            at::cuda::getCurrentCUDAStream());
  check_launch("rms_apply");
  return out;
}

torch::Tensor fused_vae_norm_silu(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& bias,
                                  double scale, bool silu) {
  Elem elem;
  if (!x.is_cuda() || (x.dim() != 4 && x.dim() != 5) || !elem_of(x.scalar_type(), elem) || x.numel() == 0) return {};
  const int64_t c = x.size(1);
  if (gamma.numel() != c || (bias.defined() && bias.numel() != c)) return {};
  ChannelNorm s;
  s.batch = x.size(0);
  s.channels = c;
  s.positions = x.numel() / (s.batch * c);
  const auto channels_last = x.dim() == 5 ? at::MemoryFormat::ChannelsLast3d : at::MemoryFormat::ChannelsLast;
  if (x.is_contiguous(channels_last) && c > 1) {
    s.channel_stride = 1;
    s.position_stride = c;
  } else if (x.is_contiguous()) {
    s.channel_stride = s.positions;
    s.position_stride = 1;
  } else {
    return {};  // another layout: the eager ops
  }
  s.scale = static_cast<float>(scale);
  s.silu = silu;
  auto g = gamma.to(torch::kFloat).reshape({c}).contiguous();
  auto b = bias.defined() ? bias.to(torch::kFloat).reshape({c}).contiguous() : torch::Tensor();
  auto out = torch::empty_like(x);  // keeps x's memory format
  vae_norm_silu(x.data_ptr(), elem, s, g.data_ptr<float>(), b.defined() ? b.data_ptr<float>() : nullptr,
                out.data_ptr(), at::cuda::getCurrentCUDAStream());
  check_launch("vae_norm_silu");
  return out;
}

torch::Tensor fused_rope(const torch::Tensor& x, const std::array<int64_t, 3>& grid, const torch::Tensor& freqs,
                         int64_t start_frame) {
  Elem elem;
  if (!x.is_cuda() || x.dim() != 4 || !elem_of(x.scalar_type(), elem) || x.size(3) % 2 != 0) return {};
  if (!freqs.is_cuda() || freqs.scalar_type() != torch::kComplexDouble || freqs.dim() != 2) return {};
  RopeShape s;
  s.batch = x.size(0);
  s.tokens = x.size(1);
  s.heads = x.size(2);
  s.head_dim = x.size(3);
  s.f = grid[0];
  s.h = grid[1];
  s.w = grid[2];
  s.start_frame = start_frame;
  s.freq_rows = freqs.size(0);
  // what the eager causal_rope_apply checks (it throws; run it to get its message)
  if (freqs.size(1) != s.head_dim / 2 || s.f * s.h * s.w > s.tokens || start_frame < 0 ||
      start_frame + s.f > s.freq_rows || s.h > s.freq_rows || s.w > s.freq_rows)
    return {};
  auto xc = x.contiguous();
  auto table = torch::view_as_real(freqs.contiguous());  // [rows, head_dim/2, 2] float64
  auto out = torch::empty_like(xc);
  rope(xc.data_ptr(), elem, table.data_ptr<double>(), s, out.data_ptr(), at::cuda::getCurrentCUDAStream());
  check_launch("rope");
  return out;
}

std::pair<torch::Tensor, torch::Tensor> fused_fp8_quantize(const torch::Tensor& x, bool per_row,
                                                           const torch::Tensor& tensor_scale) {
  Elem elem;
  if (!x.is_cuda() || x.dim() != 2 || !elem_of(x.scalar_type(), elem)) return {};
  if (!per_row && (!tensor_scale.defined() || tensor_scale.numel() != 1 || !tensor_scale.is_cuda() ||
                   tensor_scale.scalar_type() != torch::kFloat))
    return {};
  auto xc = x.contiguous();
  const int64_t rows = xc.size(0), cols = xc.size(1);
  auto q = torch::empty({rows, cols}, xc.options().dtype(at::kFloat8_e4m3fn));
  torch::Tensor scale = per_row ? torch::empty({rows, 1}, xc.options().dtype(torch::kFloat)) : tensor_scale;
  auto ts = per_row ? torch::Tensor() : tensor_scale.contiguous();
  fp8_quantize(xc.data_ptr(), elem, rows, cols, per_row ? nullptr : ts.data_ptr<float>(),
               per_row ? scale.data_ptr<float>() : nullptr, static_cast<uint8_t*>(q.data_ptr()),
               at::cuda::getCurrentCUDAStream());
  check_launch("fp8_quantize");
  return {q, scale};
}

}  // namespace ablate::opt::kernels
