#include "bench/bench_options.h"

#include <sstream>
#include <stdexcept>

namespace ablate::bench {
namespace {

std::vector<int64_t> parse_list(const std::string& flag, const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    try {
      size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw std::invalid_argument(flag + "=" + text + ": expected comma-separated integers, got '" + item + "'");
    }
  }
  return out;
}

int64_t parse_one(const std::string& flag, const std::string& text) {
  const auto v = parse_list(flag, text);
  if (v.size() != 1) throw std::invalid_argument(flag + "=" + text + ": expected one integer");
  return v[0];
}

}  // namespace

BenchOptions parse_bench_options(int* argc, char** argv) {
  BenchOptions o;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string flag = arg.substr(0, eq), value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (flag == "--preset") o.preset = value;
    else if (flag == "--device") o.device = value;
    else if (flag == "--dtype") o.dtype = value;
    else if (flag == "--kv-frames") o.kv_frames = parse_list(flag, value);
    else if (flag == "--ranks") o.ranks = static_cast<int>(parse_one(flag, value));
    else if (flag == "--min-bytes") o.min_bytes = parse_one(flag, value);
    else if (flag == "--max-bytes") o.max_bytes = parse_one(flag, value);
    else argv[kept++] = argv[i];  // Google Benchmark's flag
  }
  *argc = kept;
  if (o.ranks < 2) throw std::invalid_argument("--ranks=" + std::to_string(o.ranks) + ": expected at least 2");
  if (o.min_bytes < 1 || o.max_bytes < o.min_bytes)
    throw std::invalid_argument("--min-bytes/--max-bytes: expected 1 <= min <= max, got " + std::to_string(o.min_bytes) +
                                " and " + std::to_string(o.max_bytes));
  return o;
}

}  // namespace ablate::bench
