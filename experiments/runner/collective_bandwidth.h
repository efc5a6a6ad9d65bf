// Collective bandwidth as nccl-tests reports it (doc/PERFORMANCE.md): algbw = S / t with S the
// operation's size, and busbw = algbw * factor, the factor making busbw comparable with the
// hardware's peak bus bandwidth whatever the rank count n.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "experiments/runner/ledger_record.h"

namespace ablate {

// nccl-tests' factor for a collective named as the Communicator names it:
// all_gather / param_all_gather / all_to_all: (n - 1) / n; all_reduce: 2 (n - 1) / n;
// broadcast: 1. Throws std::invalid_argument for a name it does not know.
double busbw_factor(const std::string& collective, int world_size);

// S in nccl-tests' sense from the bytes one rank sends: all-gather S = n * sent (the whole
// gathered buffer); all-to-all S = sent (a rank's send buffer); broadcast S = sent.
double collective_size_bytes(const std::string& collective, int64_t sent_bytes_per_call, int world_size);

// Fills algbw_gbps, busbw_gbps (collectives with a duration, barriers aside) and share (ms / sum
// of ms) of per-type rows {calls, bytes sent per rank, ms}, as nccl-tests defines them.
void add_bandwidth(std::map<std::string, CollectiveRow>& rows, int world_size);

}  // namespace ablate
