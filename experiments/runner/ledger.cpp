#include "experiments/runner/ledger.h"

#include <iostream>

#include "core/error.h"

namespace ablate {

std::vector<nlohmann::json> read_ledger(const std::string& path) {
  std::ifstream f(path);
  ABLATE_USAGE_CHECK(f.good(), path, ": cannot read the ledger (does it exist?)");
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) lines.push_back(line);
  std::vector<nlohmann::json> records;
  for (size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(lines[i]);
    } catch (const nlohmann::json::parse_error& e) {
      if (i + 1 == lines.size()) {  // the write in flight when a run died
        std::cerr << "ablate: warning: " << path << ":" << i + 1 << ": ignoring a truncated last record\n";
        break;
      }
      throw UsageError(path + ":" + std::to_string(i + 1) + ": not a JSON record: " + e.what());
    }
    ABLATE_USAGE_CHECK(j.is_object() && j.value("schema", "") == kLedgerSchema, path, ":", i + 1,
                       ": expected a record with \"schema\": \"", kLedgerSchema, "\", found ",
                       j.is_object() && j.contains("schema") ? j["schema"].dump() : std::string("none"));
    ABLATE_USAGE_CHECK(j.contains("combination") && j["combination"].is_string(), path, ":", i + 1,
                       ": record without a \"combination\" string");
    records.push_back(std::move(j));
  }
  return records;
}

std::set<std::string> finished_combinations(const std::vector<nlohmann::json>& records) {
  std::set<std::string> done;
  for (const auto& r : records) {
    const std::string status = r.value("status", "");
    if (status == "ok" || status == "skipped") done.insert(r["combination"].get<std::string>());
  }
  return done;
}

LedgerWriter::LedgerWriter(const std::string& path, bool append) : path_(path) {
  out_.open(path, append ? std::ios::app : std::ios::out);
  TORCH_CHECK(out_.good(), "cannot open the ledger ", path, " for writing");
}

void LedgerWriter::write(const nlohmann::json& record) {
  out_ << record.dump() << "\n";
  out_.flush();
  TORCH_CHECK(out_.good(), "write to the ledger ", path_, " failed");
}

}  // namespace ablate
