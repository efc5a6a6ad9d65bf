// Parameter-residency seam: a model calls before(unit) / after(unit) around each shard unit's
// use. Unit -1 is the root (embeddings, time projection and head); 0..n-1 are the blocks. The
// default does nothing (all parameters resident); the sharded-parameter mechanism implements it.
#pragma once
#include <cstdint>

namespace ablate {

class UnitHooks {
 public:
  virtual ~UnitHooks() = default;
  virtual void before(int64_t unit) {}
  virtual void after(int64_t unit) {}
};

}  // namespace ablate
