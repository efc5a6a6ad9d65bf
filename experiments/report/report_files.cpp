#include "experiments/report/report_files.h"

#include <filesystem>

#include "experiments/report/benchmark_json.h"
#include "experiments/report/html_report.h"
#include "experiments/report/markdown_report.h"
#include "experiments/common/output_folder.h"

namespace ablate {

void write_reports(const std::vector<LedgerRecord>& records, const std::string& title, const std::string& dir) {
  const std::filesystem::path d(dir);
  write_file_atomically((d / "report.md").string(), markdown_report(records, title));
  write_file_atomically((d / "benchmark.json").string(),
                        benchmark_json(records, benchmark_host_context("ablate")).dump(2) + "\n");
  write_file_atomically((d / "report.html").string(), html_report(records, title));
}

}  // namespace ablate
