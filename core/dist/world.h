// Who this process is in a multi-process run: rank, world size and rendezvous address, from the
// torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT). srun and mpirun
// map their own variables to these (README: "Launching").
#pragma once
#include <cstdint>
#include <string>

namespace ablate::dist {

struct WorldInfo {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// True when WORLD_SIZE is set (a launcher started this process).
bool launched_by_launcher();

// Reads and validates the environment; UsageError naming the variable and what is valid.
WorldInfo world_from_env();

// Sequence parallel (Ulysses) splits the attention heads across the ranks: UsageError unless
// world_size divides `heads` (of the preset called `preset`).
void check_sequence_parallel(int64_t heads, int world_size, const std::string& preset);

}  // namespace ablate::dist
