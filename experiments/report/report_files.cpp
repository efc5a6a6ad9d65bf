#include "experiments/report/report_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "experiments/common/output_folder.h"
#include "experiments/report/benchmark_json.h"
#include "experiments/report/markdown_report.h"

namespace ablate {
namespace report_files_detail {

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  ABLATE_USAGE_CHECK(f.good(), path.string(), ": cannot read the file (listed in thumbnails/index.json)");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace report_files_detail

std::vector<ReportThumbnail> read_thumbnails(const std::string& folder) {
  const std::filesystem::path dir = std::filesystem::path(folder) / "thumbnails";
  const std::filesystem::path index_path = dir / "index.json";
  if (!std::filesystem::exists(index_path)) return {};
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(report_files_detail::read_bytes(index_path));
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(index_path.string() + ": not JSON (" + e.what() + ")");
  }
  ABLATE_USAGE_CHECK(index.is_array(), index_path.string(), ": expected an array of {file, combination, caption}, found ",
                     index.type_name());
  std::vector<ReportThumbnail> out;
  for (const auto& e : index) {
    ABLATE_USAGE_CHECK(e.is_object() && e.contains("file") && e["file"].is_string(), index_path.string(),
                       ": an entry without a \"file\" string: ", e.dump());
    ReportThumbnail t;
    t.combination = e.value("combination", "");
    t.caption = e.value("caption", t.combination);
    t.png = report_files_detail::read_bytes(dir / e["file"].get<std::string>());
    out.push_back(std::move(t));
  }
  std::stable_sort(out.begin(), out.end(), [](const ReportThumbnail& a, const ReportThumbnail& b) {
    return (a.combination == "baseline") > (b.combination == "baseline");
  });
  return out;
}

void write_reports(const std::vector<LedgerRecord>& records, const std::string& title, const std::string& dir,
                   const std::string& thumbnails_dir) {
  const std::filesystem::path d(dir);
  write_file_atomically((d / "report.md").string(), markdown_report(records, title));
  write_file_atomically((d / "benchmark.json").string(),
                        benchmark_json(records, benchmark_host_context("ablate")).dump(2) + "\n");
  write_file_atomically((d / "report.html").string(),
                        html_report(records, title, read_thumbnails(thumbnails_dir.empty() ? dir : thumbnails_dir)));
}

}  // namespace ablate
