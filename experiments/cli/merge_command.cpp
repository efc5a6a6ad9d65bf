#include "experiments/cli/merge_command.h"

#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "experiments/common/output_folder.h"
#include "experiments/report/markdown_report.h"
#include "experiments/report/report_files.h"
#include "experiments/runner/ledger.h"
#include "experiments/runner/ledger_merge.h"

namespace ablate {
namespace fs = std::filesystem;

CLI::App* add_merge_command(CLI::App& app, MergeCommandOptions& o) {
  auto* cmd = app.add_subcommand("merge", "Join the ledgers of `run --partition` jobs (or of several runs) into one, "
                                          "with its reports; refuses mixed fingerprints unless --allow-mixed.");
  cmd->add_option("out", o.out, "Output folder (ledger.jsonl and reports)")->required();
  cmd->add_option("ledgers", o.ledgers, "Ledgers (ledger.jsonl files, or the --out folders of the jobs)")->required();
  cmd->add_flag("--allow-mixed", o.allow_mixed, "Keep ledgers of several fingerprints apart: one report per "
                                                "fingerprint, verdicts only within one");
  return cmd;
}

int run_merge_command(const MergeCommandOptions& o) {
  std::vector<std::string> paths;
  for (const auto& p : o.ledgers) paths.push_back(fs::is_directory(p) ? (fs::path(p) / "ledger.jsonl").string() : p);
  const std::string ledger = (fs::path(o.out) / "ledger.jsonl").string();
  for (const auto& p : paths)
    ABLATE_USAGE_CHECK(fs::absolute(p).lexically_normal() != fs::absolute(ledger).lexically_normal(), "merge: ", p,
                       " is the output ledger; choose another OUT");
  const auto merged = merge_ledgers(paths, o.allow_mixed);
  prepare_output_folder(o.out, "merge OUT");
  ABLATE_USAGE_CHECK(!fs::exists(ledger), "merge: ", ledger, " exists; choose another OUT");
  {
    LedgerWriter writer(ledger, false);
    for (const auto& r : merged.records) writer.write(r);
  }
  const std::string title = merged.records.front().matrix + " (merged)";
  if (merged.fingerprint_keys.size() == 1) {
    write_reports(merged.records, title, o.out);
    std::cout << matrix_table(merged.records) << "\n";
  } else {
    for (const auto& key : merged.fingerprint_keys) {
      const auto dir = (fs::path(o.out) / ("fingerprint-" + key)).string();
      prepare_output_folder(dir, "merge OUT");
      write_reports(records_of_fingerprint(merged.records, key), title + " [" + key + "]", dir);
      std::cout << "fingerprint [" << key << "]: reports in " << dir << "\n";
    }
  }
  std::cout << "merged " << paths.size() << " ledger(s): " << merged.records.size() << " record(s), "
            << merged.fingerprint_keys.size() << " fingerprint(s); dropped " << merged.references_dropped
            << " partition reference(s) and " << merged.duplicates_dropped << " duplicate(s); wrote " << ledger << "\n";
  return 0;
}

}  // namespace ablate
