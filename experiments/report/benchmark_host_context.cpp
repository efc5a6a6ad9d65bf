// GB's context keys read from this machine, the way Google Benchmark's sysinfo.cc reads them on
// Linux (sysfs caches, /proc/cpuinfo MHz, the scaling governor), so our JSON looks like GB's.
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include "experiments/report/benchmark_json.h"

namespace ablate {
namespace {

using nlohmann::json;

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "32K" -> 32768 (sysfs cache sizes)
int64_t parse_size(const std::string& s) {
  if (s.empty()) return 0;
  int64_t v = std::atoll(s.c_str());
  switch (s.back()) {
    case 'K': return v * 1024;
    case 'M': return v * 1024 * 1024;
    case 'G': return v * 1024 * 1024 * 1024;
    default: return v;
  }
}

// CPUs in a hex mask such as "00000003" or "ff,ffffffff"
int64_t count_mask_bits(const std::string& mask) {
  int64_t n = 0;
  for (char c : mask) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      n += __builtin_popcount(static_cast<unsigned>(std::stoi(std::string(1, c), nullptr, 16)));
    }
  }
  return n;
}

json caches() {
  json out = json::array();
  for (int i = 0;; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string type = read_line(dir + "type");
    if (type.empty()) break;
    out.push_back({{"type", type},
                   {"level", std::atoi(read_line(dir + "level").c_str())},
                   {"size", parse_size(read_line(dir + "size"))},
                   {"num_sharing", count_mask_bits(read_line(dir + "shared_cpu_map"))}});
  }
  return out;
}

int64_t mhz_per_cpu() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return std::llround(std::atof(line.c_str() + colon + 1));
    }
  }
  return 0;
}

// GB counts scaling as enabled when cpu0's governor exists and is not "performance".
bool cpu_scaling_enabled() {
  const std::string governor = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  return !governor.empty() && governor != "performance";
}

// Local time with its UTC offset, "2024-05-01T12:00:00+02:00", as GB's LocalDateTimeString.
std::string local_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string s(buf);
  if (s.size() >= 5) s.insert(s.size() - 2, ":");  // +0200 -> +02:00
  return s;
}

}  // namespace

json benchmark_host_context(const std::string& executable) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  double load[3] = {0, 0, 0};
  const int n_load = getloadavg(load, 3);
  json load_avg = json::array();
  for (int i = 0; i < n_load; ++i) load_avg.push_back(load[i]);
  return json{{"date", local_date()},
              {"host_name", std::string(host)},
              {"executable", executable},
              {"num_cpus", sysconf(_SC_NPROCESSORS_ONLN)},
              {"mhz_per_cpu", mhz_per_cpu()},
              {"cpu_scaling_enabled", cpu_scaling_enabled()},
              {"caches", caches()},
              {"load_avg", load_avg}};
}

}  // namespace ablate
