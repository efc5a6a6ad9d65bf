#include "core/dist/world.h"

#include <cstdlib>

#include "core/error.h"

namespace ablate::dist {
namespace {

const char* env(const char* name) { return std::getenv(name); }

int env_int(const char* name, int min_value, int max_value) {
  const char* v = env(name);
  ABLATE_USAGE_CHECK(v != nullptr, "environment variable ", name,
                     " is not set; a multi-process run needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT "
                     "(torchrun, `ablate launch`, or srun/mpirun with them mapped)");
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  ABLATE_USAGE_CHECK(end != v && *end == '\0' && n >= min_value && n <= max_value, "environment variable ",
                     name, "='", v, "' is not an integer in [", min_value, ", ", max_value, "]");
  return static_cast<int>(n);
}

}  // namespace

bool launched_by_launcher() { return env("WORLD_SIZE") != nullptr; }

WorldInfo world_from_env() {
  WorldInfo w;
  w.size = env_int("WORLD_SIZE", 1, 1 << 20);
  w.rank = env_int("RANK", 0, w.size - 1);
  w.local_rank = env("LOCAL_RANK") ? env_int("LOCAL_RANK", 0, w.size - 1) : w.rank;
  const char* addr = env("MASTER_ADDR");
  ABLATE_USAGE_CHECK(addr != nullptr && *addr != '\0', "environment variable MASTER_ADDR is not set; ",
                     "expected the rendezvous host (e.g. 127.0.0.1)");
  w.master_addr = addr;
  w.master_port = env_int("MASTER_PORT", 1, 65535);
  return w;
}

void check_sequence_parallel(int64_t heads, int world_size, const std::string& preset) {
  ABLATE_USAGE_CHECK(world_size >= 1 && heads % world_size == 0, "world size ", world_size, " does not divide the ",
                     heads, " attention heads of preset ", preset,
                     " (sequence parallel splits heads across ranks); valid world sizes divide ", heads);
}

}  // namespace ablate::dist
