#include "experiments/cli/device_processes.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include "core/error.h"

namespace ablate {

std::vector<std::string> parse_device_list(const std::string& text, const std::string& flag) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    ABLATE_USAGE_CHECK(!item.empty() && item.find_first_not_of("0123456789") == std::string::npos, flag,
                       ": expected device indices like 0,1 (non-negative integers), found '", item, "' in '", text, "'");
    ABLATE_USAGE_CHECK(seen.insert(item).second, flag, ": device ", item, " is listed twice in '", text, "'");
    out.push_back(item);
  }
  ABLATE_USAGE_CHECK(!out.empty(), flag, ": expected at least one device, found '", text, "'");
  return out;
}

std::vector<std::string> arguments_without(const std::vector<std::string>& argv, const std::vector<std::string>& drop) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv.size(); ++i) {
    bool dropped = false;
    for (const auto& flag : drop) {
      if (argv[i] == flag) {
        ++i;  // and its value
        dropped = true;
        break;
      }
      if (argv[i].rfind(flag + "=", 0) == 0) {
        dropped = true;
        break;
      }
    }
    if (!dropped) out.push_back(argv[i]);
  }
  return out;
}

namespace device_processes {

using Clock = std::chrono::steady_clock;

struct Progress {
  std::mutex mutex;
  std::vector<long> done, total;
  Clock::time_point begin = Clock::now();
};

std::string duration_text(double seconds) {
  std::ostringstream os;
  const auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) os << s / 3600 << "h";
  if (s >= 60) os << (s / 60) % 60 << "m";
  os << s % 60 << "s";
  return os.str();
}

// Copies one child's lines to `out`; "[k/N] ..." lines update the device's counts and carry the
// counts of all devices.
void pump(int fd, size_t slot, const std::string& device, Progress& progress, std::ostream& out) {
  FILE* in = ::fdopen(fd, "r");
  char* line = nullptr;
  size_t cap = 0;
  while (::getline(&line, &cap, in) > 0) {
    const std::string text(line);
    long k = 0, n = 0;
    std::lock_guard<std::mutex> lock(progress.mutex);
    // a group of ranks (launch) prefixes its lines with "[rank R] "; rank 0 reports the progress
    const char* body = text.c_str();
    if (text.rfind("[rank 0] ", 0) == 0) body += 9;
    if (std::sscanf(body, "[%ld/%ld]", &k, &n) == 2) {
      progress.done[slot] = k;
      progress.total[slot] = n;
      long all_done = 0, all_total = 0;
      for (size_t i = 0; i < progress.done.size(); ++i) {
        all_done += progress.done[i];
        all_total += progress.total[i];
      }
      const double elapsed = std::chrono::duration<double>(Clock::now() - progress.begin).count();
      const double eta = all_done ? elapsed / all_done * (all_total - all_done) : 0;
      out << "[all " << all_done << "/" << all_total << " ETA " << duration_text(eta) << "] ";
    }
    out << "[device " << device << "] " << text << std::flush;
  }
  std::free(line);
  std::fclose(in);
}

}  // namespace device_processes

int run_device_processes(const std::vector<DeviceProcess>& processes, std::ostream& out) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  TORCH_CHECK(n > 0, "run --devices: cannot find this executable");
  self[n] = '\0';
  device_processes::Progress progress;
  progress.done.assign(processes.size(), 0);
  progress.total.assign(processes.size(), 0);
  std::vector<pid_t> pids;
  std::vector<std::thread> pumps;
  for (size_t slot = 0; slot < processes.size(); ++slot) {
    const auto& p = processes[slot];
    int fds[2];
    TORCH_CHECK(::pipe(fds) == 0, "run --devices: pipe failed");
    const pid_t pid = ::fork();
    TORCH_CHECK(pid >= 0, "run --devices: fork failed");
    if (pid == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      for (const auto& [name, value] : p.env) ::setenv(name.c_str(), value.c_str(), 1);
      std::vector<char*> argv{self};
      for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(self, argv.data());
      std::perror("run --devices: exec failed");
      std::_Exit(127);
    }
    ::close(fds[1]);
    pids.push_back(pid);
    pumps.emplace_back(device_processes::pump, fds[0], slot, p.device, std::ref(progress), std::ref(out));
  }
  int worst = 0;
  for (size_t slot = 0; slot < pids.size(); ++slot) {
    int status = 0;
    ::waitpid(pids[slot], &status, 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0) {
      std::lock_guard<std::mutex> lock(progress.mutex);
      out << "run --devices: device " << processes[slot].device << " exited with code " << code << "\n";
    }
    worst = std::max(worst, code);
  }
  for (auto& t : pumps) t.join();
  return worst;
}

}  // namespace ablate
