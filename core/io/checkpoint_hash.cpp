// checkpoint_hash: SHA-256 over each checkpoint file's name, size, format header and end MiBs.
#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/checkpoint_source.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_index.h"
#include "core/io/torch_archive.h"

namespace ablate::io {
namespace {

constexpr uint64_t kEndBytes = 1 << 20;  // hashed at each end of every file

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    TORCH_CHECK(ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1, "OpenSSL: SHA-256 init failed");
  }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size) { EVP_DigestUpdate(ctx_, data, size); }
  // length-prefixed, so concatenations cannot collide
  void field(const std::string& s) {
    const uint64_t n = s.size();
    update(&n, sizeof(n));
    update(s.data(), s.size());
  }
  std::string hex() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    std::ostringstream os;
    for (unsigned int i = 0; i < len; ++i) os << std::hex << std::setw(2) << std::setfill('0') << int(out[i]);
    return os.str();
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string sha256_of(const uint8_t* data, uint64_t size) {
  Sha256 h;
  if (size > 0) h.update(data, size);
  return h.hex();
}

std::string whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ABLATE_USAGE_CHECK(in.good(), path, ": cannot open");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace

std::string checkpoint_hash(const std::string& dir) {
  const std::string folder = dit_folder(dir);
  const std::string index = folder + "/" + safetensors_index_name(kDitWeightsBase);
  const std::string dit = std::string(kDitFolder) + "/";
  std::vector<std::string> files = {dit + kDitConfigFile};  // relative to dir
  if (path_exists(index)) {
    files.push_back(dit + safetensors_index_name(kDitWeightsBase));
    for (const auto& shard : read_safetensors_index(index).shard_files()) files.push_back(dit + shard);
  } else {
    files.push_back(dit + safetensors_single_name(kDitWeightsBase));
  }
  files.push_back(kT5File);
  files.push_back(kVaeFile);
  Sha256 digest;
  digest.field("ablate-checkpoint-hash-v1");
  for (const auto& name : files) {
    const std::string path = dir + "/" + name;
    ABLATE_USAGE_CHECK(path_exists(path), "checkpoint hash: ", path, " does not exist");
    const auto file = MappedFile::open(path);
    digest.field(name);
    digest.field(std::to_string(file->size()));
    const bool json = path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
    const bool archive = path.size() > 4 && path.compare(path.size() - 4, 4, ".pth") == 0;
    digest.field(json      ? whole_file(path)
                 : archive ? TorchArchiveReader(path).pickle_bytes()
                           : SafetensorsReader(path).header_bytes());
    const uint64_t n = std::min(kEndBytes, file->size());
    digest.field(sha256_of(file->at(0, n, "the first MiB"), n));
    digest.field(sha256_of(file->at(file->size() - n, n, "the last MiB"), n));
    file->release_all();
  }
  return digest.hex();
}

}  // namespace ablate::io
