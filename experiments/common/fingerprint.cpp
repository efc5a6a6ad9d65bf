#include "experiments/common/fingerprint.h"

#include <ATen/Parallel.h>

#include <cstdlib>

#include "core/compat.h"
#include "core/numerics.h"
#include "core/video_hash.h"

namespace ablate {
namespace {

// The vector ISA ATen's CPU kernels dispatch to: ATEN_CPU_CAPABILITY when pinned, else what the
// CPU offers (ATen's own query is not exported by every LibTorch build).
std::string cpu_capability() {
  if (const char* pinned = std::getenv("ATEN_CPU_CAPABILITY")) return pinned;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return "avx512-capable";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2-capable";
#endif
  return "default";
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

}  // namespace

nlohmann::json determinism_fingerprint(const FingerprintInputs& in) {
  nlohmann::json f;
  f["device"] = in.device.is_cuda() ? "cuda" : "cpu";
  f["torch"] = compat::torch_version();
  f["world_size"] = in.world_size;
  f["dtype"] = in.dtype;
  f["workload"] = in.workload;
  f["numerics"] = kNumericsVersion;
  f["cudnn_deterministic"] = at::globalContext().deterministicCuDNN();
  f["cudnn_tf32"] = at::globalContext().allowTF32CuDNN();
  f["cudnn_benchmark"] = at::globalContext().benchmarkCuDNN();
  // CPU kernels: ATen's vectorized path and oneDNN's ISA (pinned by scripts/cpu-isa.sh in CI so
  // a different x86 host takes the same code path)
  f["cpu_capability"] = cpu_capability();
  f["onednn_max_cpu_isa"] = env_or("ONEDNN_MAX_CPU_ISA", "auto");
  if (!in.device.is_cuda()) f["intra_op_threads"] = at::get_num_threads();  // CPU reductions split by thread
#if defined(ABLATE_CUDA)
  if (in.device.is_cuda()) f["cuda"] = cuda_fingerprint(in.device);
#endif
  return f;
}

std::string fingerprint_key(const nlohmann::json& fingerprint) {
  return sha256_hex(fingerprint.dump()).substr(0, 16);  // nlohmann objects dump with sorted keys
}

}  // namespace ablate
