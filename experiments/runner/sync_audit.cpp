#include "experiments/runner/sync_audit.h"

namespace ablate {

#if !defined(ABLATE_CUDA)
int64_t count_cuda_syncs(const std::function<void()>& fn) {
  fn();
  return -1;
}
#endif

}  // namespace ablate
