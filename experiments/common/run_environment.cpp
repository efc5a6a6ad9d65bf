#include "experiments/common/run_environment.h"

#include <torch/cuda.h>

#include <cstdio>
#include <cstdlib>

#include "core/compat.h"
#include "core/error.h"
#include "profiling/gpu_clocks.h"

namespace ablate {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    ABLATE_USAGE_CHECK(torch::cuda::is_available(), "--device ", name, ": no CUDA GPU is available ",
#if defined(ABLATE_CUDA)
                       "(this build has CUDA but the driver found no device)",
#else
                       "(this build uses a CPU-only LibTorch ", compat::torch_version(), ")",
#endif
                       "; valid devices here: cpu");
    torch::Device d(name);
    ABLATE_USAGE_CHECK(!d.has_index() || d.index() < static_cast<int>(torch::cuda::device_count()), "--device ",
                       name, ": only ", torch::cuda::device_count(), " CUDA devices are visible");
    return d;
  }
  throw UsageError("--device: unknown device '" + name + "'; valid devices: cpu, cuda, cuda:N");
}

void configure_determinism(bool deterministic) {
  at::globalContext().setBenchmarkCuDNN(false);
  at::globalContext().setDeterministicCuDNN(deterministic);
}

namespace {

std::string shell_line(const std::string& cmd) {
  FILE* pipe = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!pipe) return "";
  char buf[256] = {0};
  std::string out = fgets(buf, sizeof buf, pipe) ? buf : "";
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

nlohmann::json git_json() {
  // ABLATE_GIT_COMMIT wins: copies of the tree without .git (the GPU machine) get it from the caller
  if (const char* c = std::getenv("ABLATE_GIT_COMMIT"))
    return {{"commit", c}, {"dirty", std::getenv("ABLATE_GIT_DIRTY") ? std::string(std::getenv("ABLATE_GIT_DIRTY")) == "1" : false}};
  const std::string dir = ABLATE_SOURCE_DIR;
  const std::string commit = shell_line("git -C '" + dir + "' rev-parse HEAD");
  if (commit.empty()) return {{"commit", "unknown"}, {"dirty", nullptr}};
  const std::string status = shell_line("git -C '" + dir + "' status --porcelain --untracked-files=no | head -1");
  return {{"commit", commit}, {"dirty", !status.empty()}};
}

nlohmann::json environment_json(torch::Device device) {
  nlohmann::json j;
  j["git"] = git_json();
  j["torch"] = compat::torch_version();
#if defined(ABLATE_CUDA)
  j["cuda_build"] = true;
#else
  j["cuda_build"] = false;
#endif
  j["device"] = device.str();
  j["cuda_devices"] = torch::cuda::is_available() ? torch::cuda::device_count() : 0;
#if defined(ABLATE_NVTX) && ABLATE_NVTX
  j["nvtx"] = true;
#else
  j["nvtx"] = false;
#endif
#ifdef NDEBUG
  j["build_type"] = "release";
#else
  j["build_type"] = "debug";
#endif
  j["cudnn_deterministic"] = at::globalContext().deterministicCuDNN();
  j["cudnn_benchmark"] = at::globalContext().benchmarkCuDNN();
  if (at::globalContext().deterministicAlgorithms()) j["deterministic_algorithms"] = true;
  j["intra_op_threads"] = at::get_num_threads();
  j["gpu_clocks"] = gpu_clocks_status(device);
  return j;
}

}  // namespace ablate
