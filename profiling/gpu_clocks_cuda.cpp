// CUDA-only: the PCI bus id that names a CUDA device to NVML (CUDA's and NVML's device orders
// differ under CUDA_VISIBLE_DEVICES).
#include <cuda_runtime_api.h>

#include <string>

namespace ablate {

std::string cuda_pci_bus_id(int index, std::string* why_not) {
  char id[32] = {0};
  if (const cudaError_t rc = cudaDeviceGetPCIBusId(id, static_cast<int>(sizeof(id)), index); rc != cudaSuccess) {
    *why_not = "cudaDeviceGetPCIBusId(cuda:" + std::to_string(index) + ") failed: " + cudaGetErrorString(rc);
    return "";
  }
  return id;
}

}  // namespace ablate
