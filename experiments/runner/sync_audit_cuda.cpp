// CUDA builds: counts c10's sync-debug warnings through a thread-local warning handler.
#include <c10/cuda/CUDAFunctions.h>
#include <c10/util/Exception.h>

#include "experiments/runner/sync_audit.h"

namespace ablate {
namespace {

class CountingHandler : public c10::WarningHandler {
 public:
  void process(const c10::Warning& w) override {
    if (w.msg().find("synchroniz") != std::string::npos) ++count;
  }
  int64_t count = 0;
};

}  // namespace

int64_t count_cuda_syncs(const std::function<void()>& fn) {
  CountingHandler handler;
  c10::WarningUtils::WarningHandlerGuard guard(&handler);
  auto& state = c10::cuda::warning_state();
  const auto previous = state.get_sync_debug_mode();
  state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_WARN);
  try {
    fn();
  } catch (...) {
    state.set_sync_debug_mode(previous);
    throw;
  }
  state.set_sync_debug_mode(previous);
  return handler.count;
}

}  // namespace ablate
