// CUDA-only: set the current device; whether its stream captures; its free bytes (for the memory preflight).
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/Exception.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace ablate {

void use_cuda_device(int index) { c10::cuda::set_device(static_cast<c10::DeviceIndex>(index)); }

bool cuda_stream_is_capturing(int index) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  const cudaError_t rc =
      cudaStreamIsCapturing(c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(index)).stream(), &status);
  TORCH_CHECK(rc == cudaSuccess, "cudaStreamIsCapturing on cuda:", index, " failed: ", cudaGetErrorString(rc));
  return status != cudaStreamCaptureStatusNone;
}

int64_t cuda_free_bytes(int index) {
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(index));
  size_t free_bytes = 0, total_bytes = 0;
  const cudaError_t rc = cudaMemGetInfo(&free_bytes, &total_bytes);
  TORCH_CHECK(rc == cudaSuccess, "cudaMemGetInfo on cuda:", index, " failed: ", cudaGetErrorString(rc));
  return static_cast<int64_t>(free_bytes);
}

}  // namespace ablate
