// `ablate launch --nproc N -- <subcommand ...>`: starts N local ranks of this binary with the
// torchrun environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), prefixes each
// output line with "[rank r] ", and exits non-zero as soon as any rank fails, ending the others.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ablate {

struct LaunchCommandOptions {
  int nproc = 2;
  int master_port = 0;  // 0: pick a free port
  double grace_s = 5;   // after a failure, how long the others get between SIGTERM and SIGKILL
  std::vector<std::string> command;
};

CLI::App* add_launch_command(CLI::App& app, LaunchCommandOptions& opts);
int run_launch_command(const LaunchCommandOptions& opts);

}  // namespace ablate
