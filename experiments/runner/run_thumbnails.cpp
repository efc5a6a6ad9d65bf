#include "experiments/runner/run_thumbnails.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/io/contact_sheet.h"
#include "core/io/heatmap.h"
#include "experiments/common/output_folder.h"

namespace ablate {
namespace run_thumbnails_detail {

// Widths the report shows: a contact-sheet tile and a heat map (a 1.3b frame is 832 wide).
constexpr int64_t kTileWidth = 208;
constexpr int64_t kHeatMapWidth = 416;

// Adds one entry to thumbnails/index.json (rewritten whole: a resumed run keeps earlier entries).
void index_thumbnail(const std::filesystem::path& dir, const std::string& file, const std::string& combination,
                     const std::string& caption) {
  const auto index_path = dir / "index.json";
  nlohmann::json index = nlohmann::json::array();
  if (std::filesystem::exists(index_path)) {
    try {
      std::ifstream f(index_path);
      index = nlohmann::json::parse(f);
    } catch (const std::exception&) {
      index = nlohmann::json::array();
    }
  }
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& e : index)
    if (e.value("file", "") != file) kept.push_back(e);
  kept.push_back({{"file", file}, {"combination", combination}, {"caption", caption}});
  write_file_atomically(index_path.string(), kept.dump(2) + "\n");
}

}  // namespace run_thumbnails_detail

// A file name from a combination id ("a=v+b=w" stays; anything else odd becomes '_').
std::string thumbnail_file_stem(const std::string& combination) {
  std::string out;
  for (char c : combination) out += std::isalnum(static_cast<unsigned char>(c)) || c == '=' || c == '+' || c == '-' || c == '.' ? c : '_';
  return out.size() > 120 ? out.substr(0, 120) : out;
}

std::string write_run_thumbnails(const std::string& dir_text, const std::string& combination, bool is_baseline,
                                 const GateCandidate& output, const GateReference& reference, std::ostream& warnings) {
  using run_thumbnails_detail::index_thumbnail;
  using run_thumbnails_detail::kHeatMapWidth;
  using run_thumbnails_detail::kTileWidth;
  const std::filesystem::path dir(dir_text);
  const torch::Tensor& video = output.video_u8;
  if (!video.defined()) return "";
  try {
    if (is_baseline) {
      const std::string file = "baseline_contact_sheet.png";
      std::filesystem::create_directories(dir);
      io::ContactSheetOptions sheet;
      sheet.downscale = std::max<int64_t>(1, video.size(2) / kTileWidth);  // a sheet the report can embed
      io::save_contact_sheet_frames((dir / file).string(), video, sheet);
      index_thumbnail(dir, file, combination, "baseline: every 8th frame of request 0");
      return file;
    }
    const torch::Tensor& ref = reference.video_u8;
    if (!ref.defined() || ref.sizes() != video.sizes()) return "";  // nothing to compare with
    if (!reference.md5s.empty() && !output.md5s.empty() && reference.md5s.front() == output.md5s.front()) return "";
    io::HeatMapOptions heat;
    heat.downscale = std::max<int64_t>(1, video.size(2) / kHeatMapWidth);  // block max: a pixel stays visible
    const io::HeatMap map = io::difference_heat_map(ref, video, heat);
    if (map.max_difference <= 0) return "";
    const std::string file = "diff_" + thumbnail_file_stem(combination) + ".png";
    std::filesystem::create_directories(dir);
    io::save_heat_map((dir / file).string(), map);
    index_thumbnail(dir, file, combination,
                    combination + ": |difference| vs " + (reference.source.empty() ? "the baseline" : reference.source) +
                        " (white = " + std::to_string(static_cast<int>(map.max_difference)) +
                        " levels, the largest; max over frames)");
    return file;
  } catch (const std::exception& e) {
    warnings << "warning: no thumbnail for " << combination << ": " << e.what() << "\n";
    return "";
  }
}

}  // namespace ablate
