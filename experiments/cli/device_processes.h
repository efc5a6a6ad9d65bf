// `ablate run --devices 0,1` / `--gpus N`: one `ablate run` process per device, each owning the
// engine groups dealt to it (runner/partition.h, seeded at random) and writing its own ledger in
// OUT/device-<d>/ with its own baseline (verdicts compare within a device: its report there); the
// parent is the one writer of the joined OUT/ledger.jsonl (runner/ledger_merge.h). On CUDA a
// process sees only its device (CUDA_VISIBLE_DEVICES); on the CPU the list stands for processes.
#pragma once
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace ablate {

struct DeviceProcess {
  std::string device;                       // the label ("0", "1", ...)
  std::vector<std::string> args;            // after the executable
  std::map<std::string, std::string> env;   // set in the child
};

// "0,1,3" or a count ("--gpus 2": 0,1). UsageError naming `flag` for an empty, repeated or
// negative entry.
std::vector<std::string> parse_device_list(const std::string& text, const std::string& flag);

// The arguments of `argv` (without the executable) less the flags named in `drop` (each with its
// value, as "--flag v" or "--flag=v").
std::vector<std::string> arguments_without(const std::vector<std::string>& argv, const std::vector<std::string>& drop);

// Starts every process of this executable, prefixes their lines with "[device d] ", and turns their
// progress lines ("[k/N] ...") into one covering all devices: "[all K/T ETA ...] [device d] ...".
// Waits for all (a failing device does not end the others: every ledger is resumable); returns the
// largest exit code.
int run_device_processes(const std::vector<DeviceProcess>& processes, std::ostream& out);

}  // namespace ablate
