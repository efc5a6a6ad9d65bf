// Collective bandwidth as nccl-tests reports it (doc/PERFORMANCE.md): algbw = S / t with S the
// operation's size, and busbw = algbw * factor, the factor making busbw comparable with the
// hardware's peak bus bandwidth whatever the rank count n.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ablate {

// nccl-tests' factor for a collective named as the Communicator names it:
// all_gather / param_all_gather / all_to_all: (n - 1) / n; all_reduce: 2 (n - 1) / n;
// broadcast: 1. Throws std::invalid_argument for a name it does not know.
double busbw_factor(const std::string& collective, int world_size);

// S in nccl-tests' sense from the bytes one rank sends: all-gather S = n * sent (the whole
// gathered buffer); all-to-all S = sent (a rank's send buffer); broadcast S = sent.
double collective_size_bytes(const std::string& collective, int64_t sent_bytes_per_call, int world_size);

// {"calls", "bytes", "ms", "algbw_gbps", "busbw_gbps", "share"} per collective from per-type
// stats {name: {calls, bytes (sent per rank, summed), ms (summed)}}; share = ms / sum of ms.
nlohmann::json collective_table(const nlohmann::json& stats, int world_size);

}  // namespace ablate
