#include "core/video_hash.h"

#include <openssl/evp.h>

#include <iomanip>
#include <sstream>

namespace ablate {
namespace {

std::string digest_hex(const EVP_MD* md, const std::vector<std::pair<const void*, size_t>>& parts) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  TORCH_CHECK(ctx != nullptr, "OpenSSL: EVP_MD_CTX_new failed");
  EVP_DigestInit_ex(ctx, md, nullptr);
  for (const auto& [data, size] : parts) EVP_DigestUpdate(ctx, data, size);
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
  std::ostringstream os;
  for (unsigned int i = 0; i < len; ++i) os << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(out[i]);
  return os.str();
}

}  // namespace

torch::Tensor video_to_uint8(const torch::Tensor& video) {
  TORCH_CHECK(video.dim() == 4 && video.size(0) == 3, "video_to_uint8 expects [3, F, H, W], got ", video.sizes());
  auto v = torch::round((video.to(torch::kFloat).clamp(-1, 1) + 1) * 127.5).to(torch::kUInt8);
  return v.permute({1, 2, 3, 0}).contiguous().cpu();
}

std::string md5_hex(const void* data, size_t size) { return digest_hex(EVP_md5(), {{data, size}}); }

std::string sha256_hex(const std::string& text) { return digest_hex(EVP_sha256(), {{text.data(), text.size()}}); }

std::string tensor_md5(const torch::Tensor& t) {
  auto c = t.contiguous().cpu();
  return md5_hex(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
}

std::vector<std::string> hash_chain(const std::vector<torch::Tensor>& latents) {
  std::vector<std::string> chain;
  std::string prev;
  for (const auto& t : latents) {
    auto c = t.to(torch::kFloat).contiguous().cpu();
    prev = digest_hex(EVP_md5(), {{prev.data(), prev.size()},
                                  {c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size()}});
    chain.push_back(prev);
  }
  return chain;
}

}  // namespace ablate
