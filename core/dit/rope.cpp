#include "core/dit/rope.h"

namespace ablate::dit {

torch::Tensor rope_params(int64_t max_seq_len, int64_t dim, double theta) {
  TORCH_CHECK(dim % 2 == 0, "rope_params expects an even dim, got ", dim);
  auto f64 = torch::TensorOptions().dtype(torch::kDouble);
  auto inv = 1.0 / torch::pow(theta, torch::arange(0, dim, 2, f64).div(dim));
  auto angles = torch::outer(torch::arange(max_seq_len, f64), inv);  // [max_seq_len, dim/2]
  return torch::polar(torch::ones_like(angles), angles);
}

torch::Tensor rope_table(int64_t d, int64_t max_positions) {
  TORCH_CHECK(d % 2 == 0 && d / 6 > 0, "rope_table expects an even head_dim >= 6, got ", d);
  return torch::cat({rope_params(max_positions, d - 4 * (d / 6)), rope_params(max_positions, 2 * (d / 6)),
                     rope_params(max_positions, 2 * (d / 6))},
                    1);
}

torch::Tensor causal_rope_apply(const torch::Tensor& x, const std::array<int64_t, 3>& grid,
                                const torch::Tensor& freqs, int64_t start_frame) {
  const int64_t b = x.size(0), n = x.size(2), c = x.size(3) / 2;
  const auto [f, h, w] = grid;
  const int64_t seq_len = f * h * w;
  TORCH_CHECK(x.size(1) >= seq_len, "causal_rope_apply: expected at least ", seq_len, " tokens, got ",
              x.size(1));
  TORCH_CHECK(start_frame + f <= freqs.size(0), "causal_rope_apply: temporal position ", start_frame + f,
              " exceeds the table of ", freqs.size(0));
  auto parts = freqs.split_with_sizes({c - 2 * (c / 3), c / 3, c / 3}, 1);
  // freqs_i: [seq_len, 1, c] complex128, (t, h, w) factors laid out per token
  auto ft = parts[0].slice(0, start_frame, start_frame + f).view({f, 1, 1, -1}).expand({f, h, w, -1});
  auto fh = parts[1].slice(0, 0, h).view({1, h, 1, -1}).expand({f, h, w, -1});
  auto fw = parts[2].slice(0, 0, w).view({1, 1, w, -1}).expand({f, h, w, -1});
  auto freqs_i = torch::cat({ft, fh, fw}, -1).reshape({seq_len, 1, -1});

  std::vector<torch::Tensor> out;
  out.reserve(b);
  for (int64_t i = 0; i < b; ++i) {
    auto xi = torch::view_as_complex(x[i].slice(0, 0, seq_len).to(torch::kDouble).reshape({seq_len, n, -1, 2}));
    auto rotated = torch::view_as_real(xi * freqs_i).flatten(2);  // [seq_len, n, d] float64
    out.push_back(torch::cat({rotated, x[i].slice(0, seq_len).to(torch::kDouble)}));
  }
  return torch::stack(out).to(x.scalar_type());
}

}  // namespace ablate::dit
