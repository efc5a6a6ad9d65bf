#include "experiments/cli/launch_command.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/error.h"
#include "experiments/cli/pipeline_setup.h"

namespace ablate {
namespace {

// Binds `port` on the loopback (0: any free one) and returns the port bound, or -1.
int bind_port(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  return ok ? ntohs(addr.sin_port) : -1;
}

// A free port whose next one is free too: commands that talk between runs (the search) use
// MASTER_PORT + 1 for it (experiments/rank_channel.h).
int free_port() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int port = bind_port(0);
    if (port > 0 && port < 65535 && bind_port(port + 1) == port + 1) return port;
  }
  throw std::runtime_error("launch: could not find two free consecutive ports");
}

std::mutex g_out_mutex;

// Copies the child's output to ours, a line at a time, with the rank prefix.
void pump(int fd, int rank) {
  FILE* in = ::fdopen(fd, "r");
  char* line = nullptr;
  size_t cap = 0;
  while (::getline(&line, &cap, in) > 0) {
    std::lock_guard<std::mutex> lock(g_out_mutex);
    std::cout << "[rank " << rank << "] " << line << std::flush;
  }
  std::free(line);
  std::fclose(in);
}

}  // namespace

CLI::App* add_launch_command(CLI::App& app, LaunchCommandOptions& o) {
  auto* cmd = app.add_subcommand("launch", "Start N local ranks of an ablate subcommand (like torchrun).");
  cmd->add_option("--nproc", o.nproc, "Ranks to start on this machine")->capture_default_str()->check(integer_in(1, 1024));
  cmd->add_option("--master-port", o.master_port, "Rendezvous port (default: a free one)")->check(integer_in(0, 65534));
  cmd->add_option("--grace", o.grace_s, "Seconds between SIGTERM and SIGKILL for the others after a failure")
      ->capture_default_str()
      ->check(number_in(0, 3600));
  cmd->add_option("command", o.command, "The subcommand and its flags, after --")->required();
  return cmd;
}

int run_launch_command(const LaunchCommandOptions& o) {
  ABLATE_USAGE_CHECK(o.nproc >= 1 && o.nproc <= 1024, "--nproc: expected 1..1024 ranks, got ", o.nproc);
  ABLATE_USAGE_CHECK(o.command.empty() || o.command[0] != "launch", "launch: the command to start cannot be launch itself");
  const int port = o.master_port > 0 ? o.master_port : free_port();
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  TORCH_CHECK(n > 0, "launch: cannot find this executable");
  self[n] = '\0';

  std::vector<pid_t> pids;
  std::vector<std::thread> pumps;
  for (int rank = 0; rank < o.nproc; ++rank) {
    int fds[2];
    TORCH_CHECK(::pipe(fds) == 0, "launch: pipe failed");
    const pid_t pid = ::fork();
    TORCH_CHECK(pid >= 0, "launch: fork failed");
    if (pid == 0) {
      ::setpgid(0, 0);
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::setenv("NCCL_NVLS_ENABLE", "0", 0);  // NVLink multicast stays off (shared machines)
      std::vector<char*> argv{self};
      for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(self, argv.data());
      std::perror("launch: exec failed");
      std::_Exit(127);
    }
    ::close(fds[1]);
    pids.push_back(pid);
    pumps.emplace_back(pump, fds[0], rank);
  }

  int exit_code = 0;
  int remaining = o.nproc;
  bool terminating = false;
  auto terminate_others = [&](int sig) {
    for (pid_t pid : pids)
      if (pid > 0) ::kill(-pid, sig);
  };
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (remaining > 0) {
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, terminating ? WNOHANG : 0);
    if (done == 0) {
      if (std::chrono::steady_clock::now() > deadline) terminate_others(SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (done < 0) break;
    for (size_t r = 0; r < pids.size(); ++r) {
      if (pids[r] != done) continue;
      pids[r] = -1;
      --remaining;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (code != 0 && !terminating) {
        {
          std::lock_guard<std::mutex> lock(g_out_mutex);
          std::cerr << "launch: rank " << r << " failed with exit code " << code << "; ending the other ranks\n";
        }
        exit_code = code;
        terminating = true;
        terminate_others(SIGTERM);
        deadline = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
      }
    }
  }
  for (auto& t : pumps) t.join();
  return exit_code;
}

}  // namespace ablate
