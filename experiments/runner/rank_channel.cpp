#include "experiments/runner/rank_channel.h"

#include <chrono>
#include <vector>

#include "core/dist/communicator.h"
#include "experiments/common/run_environment.h"

namespace ablate {

std::string broadcast_text(const dist::WorldInfo& world, const Workload& workload, const std::string& text) {
  torch::Device device = parse_device(workload.device);
  if (device.is_cuda()) device = torch::Device(torch::kCUDA, world.local_rank);
  dist::WorldInfo channel = world;
  channel.master_port = world.master_port + 1;
  dist::Communicator comm(channel, device,
                          std::chrono::milliseconds(static_cast<int64_t>(workload.collective_timeout_s * 1000)));
  // the length first (the other ranks size their buffer by it), then the bytes, one per int64
  auto length = torch::tensor({static_cast<int64_t>(world.rank == 0 ? text.size() : 0)}, torch::kLong).to(device);
  comm.broadcast(length, 0);
  const int64_t n = length.cpu().item<int64_t>();
  if (n == 0) return "";
  std::vector<int64_t> codes(static_cast<size_t>(n), 0);
  if (world.rank == 0)
    for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<unsigned char>(text[i]);
  auto bytes = torch::tensor(codes, torch::kLong).to(device);
  comm.broadcast(bytes, 0);
  bytes = bytes.cpu().contiguous();
  std::string out(static_cast<size_t>(n), '\0');
  const auto* p = bytes.data_ptr<int64_t>();
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(p[i]);
  return out;
}

}  // namespace ablate
