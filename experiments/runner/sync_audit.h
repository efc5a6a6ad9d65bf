// CUDA's own count of synchronizing operations (torch.cuda.set_sync_debug_mode("warn") counts
// every host-blocking call the caching allocator, copies and .item() make), as a cross-check of
// the core's counted host reads. Not for timed runs: the warnings cost host time.
#pragma once
#include <cstdint>
#include <functional>

namespace ablate {

// Runs `fn` with sync debugging on and returns how many synchronizing CUDA operations it made;
// -1 in a CPU-only build (there is nothing to count).
int64_t count_cuda_syncs(const std::function<void()>& fn);

}  // namespace ablate
