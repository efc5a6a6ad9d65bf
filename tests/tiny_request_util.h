// The smallest request that exercises the KV cache across chunks: the tiny preset at 32x32 and 21
// frames (6 latent frames: two chunks of 3, 10 DiT forwards), shared by the tests of DiT seams.
#pragma once
#include "core/pipeline.h"

namespace ablate::test_util {

inline GenerateRequest two_chunk_request() {
  GenerateRequest r;
  r.geometry.frames = 21;
  r.geometry.height = 32;
  r.geometry.width = 32;
  return r;
}

}  // namespace ablate::test_util
