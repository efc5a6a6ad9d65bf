// `ablate merge OUT LEDGER...`: joins the ledgers of a partitioned or multi-device run into
// OUT/ledger.jsonl with its reports (runner/ledger_merge.h).
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ablate {

struct MergeCommandOptions {
  std::string out;                   // folder: ledger.jsonl, report.md, benchmark.json, report.html
  std::vector<std::string> ledgers;  // ledger files, or folders holding ledger.jsonl
  bool allow_mixed = false;          // keep several fingerprints (a report per fingerprint)
};

CLI::App* add_merge_command(CLI::App& app, MergeCommandOptions& o);
int run_merge_command(const MergeCommandOptions& o);

}  // namespace ablate
