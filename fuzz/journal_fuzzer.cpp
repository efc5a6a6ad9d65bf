// libFuzzer target: EXPERIMENTS.md text of any bytes through the journal functions: the next
// experiment number, the strategy-table replacement, the check before work and an append. An
// appended entry takes the number next_experiment_number gave, and the next one follows it.
#include <fstream>
#include <sstream>

#include "experiments/research/journal.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::journal_fuzzer {

const char* const kTable = "| strategy | values |\n|---|---|\n| fuzz | on |\n";

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int test_one_input(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ablate::fuzz::usage_errors_only([&] {
    ablate::fuzz::require(ablate::next_experiment_number(text) >= 1, "experiment numbers start at 1");
  });
  ablate::fuzz::usage_errors_only([&] {
    const std::string replaced = ablate::replace_strategy_table(text, kTable);
    ablate::fuzz::require(replaced.find(kTable) != std::string::npos, "the new strategy table is in the journal");
  });
  const std::string path = ablate::fuzz::write_scratch("journal", data, size);
  ablate::fuzz::usage_errors_only([&] { ablate::check_journal(path); });
  ablate::JournalEntry entry;
  entry.title = "fuzz";
  entry.hypothesis = "any journal text takes an entry";
  entry.decision = "keep";
  entry.ledger_path = "reports/fuzz/ledger.jsonl";
  int n = 0;
  ablate::fuzz::usage_errors_only([&] { n = ablate::append_journal_entry(path, entry); });
  // E999999999 is the last number a journal takes: asking for the next one is refused by name
  if (n > 0 && n < ablate::kLastExperimentNumber)
    ablate::fuzz::require(ablate::next_experiment_number(read_text(path)) == n + 1,
                          "the appended entry is the journal's last number");
  return 0;
}

}  // namespace ablate::fuzz::journal_fuzzer

ABLATE_FUZZ_TARGET(journal, ablate::fuzz::journal_fuzzer::test_one_input)
