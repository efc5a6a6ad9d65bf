#include "experiments/research/journal.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "experiments/report/markdown_report.h"
#include "experiments/common/output_folder.h"
#include "experiments/stats/verdict.h"

namespace ablate {

const std::vector<std::string>& journal_decisions() {
  static const std::vector<std::string> d{"keep", "discard", "invalid", "crash"};
  return d;
}

int next_experiment_number(const std::string& text) {
  // a heading's number ends at ':' or white space, or at the end of a text without a last newline
  // (appending adds the newline, and the heading then counts: found by fuzzing)
  static const std::regex heading(R"((^|\n)### E(\d+)(?=[:\s]|$))");
  int n = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), heading), end; it != end; ++it) {
    const std::string digits = (*it)[2].str();
    ABLATE_USAGE_CHECK(digits.size() <= 9, "journal: experiment heading E", digits.substr(0, 20),
                       (digits.size() > 20 ? "..." : ""), ": expected a number of at most 9 digits");
    n = std::max(n, std::stoi(digits));
  }
  // the next heading must read back too (found by fuzzing: E999999999 made E1000000000)
  ABLATE_USAGE_CHECK(n < kLastExperimentNumber, "journal: experiment heading E", n,
                     " is the last number a journal takes (9 digits); start a new journal");
  return n + 1;
}

namespace journal_git {
// "dirty" is null where git could not tell (no git, or not a checkout)
bool dirty_tree(const nlohmann::json& git) {
  const auto it = git.find("dirty");
  return it != git.end() && it->is_boolean() && it->get<bool>();
}
}  // namespace journal_git

std::string format_journal_entry(int n, const JournalEntry& e) {
  std::ostringstream os;
  os << "### E" << n << ": " << e.title << "\n\n";
  os << "- **Hypothesis**: " << e.hypothesis << "\n";
  std::string fingerprint, matrix;
  std::vector<std::string> commits;  // in record order: a resumed ledger may span commits
  std::vector<std::string> commands;  // a ledger resumed over several calls holds each call's command
  for (const auto& r : e.records) {
    const std::string& command = r.command;
    if (!command.empty() && std::find(commands.begin(), commands.end(), command) == commands.end())
      commands.push_back(command);
    if (fingerprint.empty()) fingerprint = r.fingerprint_key;
    if (r.environment.contains("git") && r.environment["git"].is_object()) {
      const auto& git = r.environment["git"];
      const std::string commit = git.value("commit", "") + (journal_git::dirty_tree(git) ? " (dirty)" : "");
      if (std::find(commits.begin(), commits.end(), commit) == commits.end()) commits.push_back(commit);
    }
    if (matrix.empty()) matrix = r.matrix;
  }
  if (commands.size() <= 1) {
    os << "- **Command**: `" << (commands.empty() ? "(not recorded)" : commands.front()) << "`\n";
  } else {
    os << "- **Commands** (one ledger, " << commands.size() << " calls, in order):";
    for (size_t i = 0; i < commands.size(); ++i) os << (i ? "; " : " ") << "`" << commands[i] << "`";
    os << "\n";
  }
  os << "- **Ledger**: `" << e.ledger_path << "` (matrix " << matrix << ", "
     << (commits.size() > 1 ? "commits " + c10::Join(", ", commits)
                            : "commit " + (commits.empty() ? std::string("unknown") : commits.front()))
     << ")\n";
  if (!e.records.empty()) {
    const auto& r = e.records.front();
    std::string device = r.workload.value("device", "");
    if (r.fingerprint.contains("cuda")) device += " " + r.fingerprint["cuda"].value("gpu", "");
    os << "- **Fingerprint**: `" << fingerprint << "` (" << device << ", world " << r.fingerprint.value("world_size", 1)
       << ", " << r.fingerprint.value("dtype", "") << ", torch " << r.fingerprint.value("torch", "") << ")\n";
  }
  os << "\n" << matrix_table(e.records) << "\n";
  // verdict lines: every ok combination against the baseline
  const LedgerRecord* base = nullptr;
  for (const auto& r : e.records)
    if (r.ok() && r.combination == "baseline") base = &r;
  if (base) {
    os << "Verdicts against the baseline:";
    for (const auto& r : e.records) {
      if (&r == base || !r.ok()) continue;
      const auto c = stats::compare(base->samples_ms, r.samples_ms);
      os << " " << r.combination << " " << stats::verdict_name(c.verdict) << ";";
    }
    os << "\n\n";
  }
  if (!e.extra_markdown.empty()) os << e.extra_markdown << "\n";
  os << "- **Decision**: " << e.decision << "\n\n";
  return os.str();
}

namespace {

// The journal's text; UsageError when it cannot be read or has no section to append to.
std::string read_journal(const std::string& path) {
  std::ifstream f(path);
  ABLATE_USAGE_CHECK(f.good(), path, ": cannot read the journal");
  std::stringstream ss;
  ss << f.rdbuf();
  ABLATE_USAGE_CHECK(ss.str().find("\n## Journal") != std::string::npos, path,
                     ": no \"## Journal\" section to append to (is it EXPERIMENTS.md?)");
  return ss.str();
}

}  // namespace

void check_journal(const std::string& path) { read_journal(path); }

int append_journal_entry(const std::string& path, const JournalEntry& e) {
  const auto& d = journal_decisions();
  ABLATE_USAGE_CHECK(std::find(d.begin(), d.end(), e.decision) != d.end(), "--decision: unknown decision '", e.decision,
                     "'; valid decisions: keep, discard, invalid, crash");
  std::string text = read_journal(path);
  const int n = next_experiment_number(text);
  if (!text.empty() && text.back() != '\n') text += "\n";
  text += "\n" + format_journal_entry(n, e);
  write_file_atomically(path, text);
  return n;
}

std::string replace_strategy_table(const std::string& text, const std::string& table) {
  const auto b = text.find(kStrategyTableBegin);
  const auto e = text.find(kStrategyTableEnd);
  ABLATE_USAGE_CHECK(b != std::string::npos && e != std::string::npos && b < e,
                     "the journal has no strategy-table markers (", kStrategyTableBegin, " ... ", kStrategyTableEnd, ")");
  const auto start = b + std::string(kStrategyTableBegin).size();
  return text.substr(0, start) + "\n" + table + text.substr(e);
}

}  // namespace ablate
