#include "experiments/report_files.h"

#include <filesystem>

#include "experiments/markdown_report.h"
#include "experiments/output_folder.h"

namespace ablate {

void write_reports(const std::vector<nlohmann::json>& records, const std::string& title, const std::string& dir) {
  const std::filesystem::path d(dir);
  write_file_atomically((d / "report.md").string(), markdown_report(records, title));
}

}  // namespace ablate
