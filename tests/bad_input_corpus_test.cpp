// The bad-input corpus: one table of malformed flags and files for every subcommand and file type
// (matrix spec, baseline, ledger, journal, checkpoint folder / index / safetensors, .npy, images,
// workload fields). Each case writes its files into a scratch folder, runs `ablate` and asserts
// the exit code and the key words of the one-line message (the file, the field, what was expected,
// what was found). Nearly all fail before any model is built.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli_test_util.h"

namespace ablate {
namespace bad_input_corpus_test {
namespace fs = std::filesystem;
using nlohmann::json;

struct File {
  std::string name;     // relative to the case's folder; subfolders are created
  std::string content;  // bytes
};

struct Case {
  std::string name;
  std::vector<File> files;
  std::string command;  // ablate's arguments; {dir}: the case's folder, {src}: the source tree
  int exit_code = 2;
  std::vector<std::string> needles;  // each must appear in the output ({dir} substituted)
};

std::string source_file(const std::string& relative) {
  return testing::read_text(std::string(ABLATE_SOURCE_DIR) + "/" + relative);
}

// A version 1.0 .npy file: the header dict, padded to 64 bytes, then `data_bytes` zero bytes.
std::string npy(const std::string& descr, const std::string& shape, size_t data_bytes, bool fortran = false) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + std::string(data_bytes, '\0');
}

// A small valid matrix spec with `patch` merged in (RFC 7396: null removes a field).
std::string spec(const json& patch = json::object()) {
  json j = {{"name", "corpus"},
            {"workload", {{"preset", "tiny"}, {"size", "32*32"}, {"frames", 9}}},
            {"mode", "full"},
            {"axes", {{"sync_elim", {"off", "on"}}}},
            {"warmup", 0},
            {"repetitions", 1}};
  j.merge_patch(patch);
  return j.dump(2);
}

// The committed CI baseline with `edit` applied.
std::string baseline(const std::function<void(json&)>& edit) {
  json j = json::parse(source_file("baselines/ci-check-tiny.json"));
  edit(j);
  return j.dump(2);
}

// One record of a committed ledger with `edit` applied, as a ledger line.
std::string ledger_line(const std::function<void(json&)>& edit = [](json&) {}) {
  const std::string text = source_file("reports/ledgers/alone-1.3b-h100.jsonl");
  json j = json::parse(text.substr(0, text.find('\n')));
  edit(j);
  return j.dump() + "\n";
}

// The DiT config.json `ablate export-checkpoint --preset tiny` writes.
json tiny_dit_config() {
  return {{"_class_name", "WanModelFast"}, {"control_type", "cam"}, {"dim", 64}, {"eps", 1e-06}, {"ffn_dim", 128},
          {"freq_dim", 256}, {"in_dim", 36}, {"local_attn_size", -1}, {"model_type", "i2v"}, {"num_heads", 4},
          {"num_layers", 3}, {"out_dim", 16}, {"sink_size", 0}, {"text_len", 512}};
}

// A safetensors file: the little-endian 64-bit header length, the header, 8 data bytes.
std::string safetensors(const std::string& header) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(8, '\0');
}

const std::string kTiny = " --preset tiny --size 32*32 --frames 9 ";
const std::string kJournal = "# Experiments\n\n## Journal\n\n";

std::vector<Case> corpus() {
  const std::string good = ledger_line();
  const std::string poses_ok = npy("<f4", "(2, 4, 4)", 2 * 16 * 4);
  const std::string intrinsics_ok = npy("<f4", "(2, 4)", 2 * 4 * 4);
  std::vector<Case> c;
  // ---- flags: ranges, types, values (CLI11 validators and the commands' own checks)
  c.push_back({"generate_seed_beyond_64_bits", {}, "generate --seed 99999999999999999999", 2,
               {"--seed", "beyond the 64-bit integer range"}});
  c.push_back({"generate_seed_negative", {}, "generate --seed -5", 2, {"--seed", "'-5' is out of range"}});
  c.push_back({"generate_frames_zero", {}, "generate --frames 0", 2, {"--frames", "expected an integer in [1, 100001]"}});
  c.push_back({"generate_frames_not_4n1", {}, "generate --frames 80", 2, {"expected 4n+1 frames"}});
  c.push_back({"generate_runs_negative", {}, "generate --runs -1", 2, {"--runs", "out of range"}});
  c.push_back({"generate_request_cycle_zero", {}, "generate --request-cycle 0", 2, {"--request-cycle", "[1, 1000]"}});
  c.push_back({"generate_height_negative", {}, "generate --height -16 --width 32", 2, {"--height", "out of range"}});
  c.push_back({"generate_world_size_overflow", {}, "generate --world-size 99999999999", 2,
               {"--world-size", "out of range"}});
  c.push_back({"generate_collective_timeout_nan", {}, "generate --collective-timeout nan", 2,
               {"--collective-timeout", "out of range"}});
  c.push_back({"generate_collective_timeout_text", {}, "generate --collective-timeout soon", 2,
               {"--collective-timeout", "'soon' is not a number"}});
  c.push_back({"generate_unknown_preset", {}, "generate --preset huge", 2, {"unknown preset 'huge'", "tiny, 1.3b, 14b"}});
  c.push_back({"generate_unknown_dtype", {}, "generate --dtype fp8", 2, {"fp8", "valid values: fp32, bf16"}});
  c.push_back({"generate_unknown_device", {}, "generate --device tpu", 2, {"tpu", "valid devices"}});
  c.push_back({"generate_bad_strategy_value", {}, "generate" + kTiny + "--set sync_elim=sometimes", 2,
               {"sync_elim", "'sometimes'", "valid values: off, on"}});
  c.push_back({"generate_unknown_strategy", {}, "generate" + kTiny + "--set warp_drive=on", 2, {"warp_drive"}});
  c.push_back({"generate_prompt_mode", {}, "generate" + kTiny + "--prompt-mode sometimes", 2, {"sometimes", "repeat", "unique"}});
  c.push_back({"generate_unknown_flag", {}, "generate --no-such-flag", 2, {"--no-such-flag"}});
  c.push_back({"unknown_subcommand", {}, "fly", 2, {"unknown subcommand 'fly'", "valid subcommands: generate"}});
  c.push_back({"run_repetitions_zero", {}, "run" + kTiny + "--repetitions 0 --out {dir}/o", 2, {"--repetitions", "[1, 10000]"}});
  c.push_back({"run_warmup_negative", {}, "run" + kTiny + "--warmup -1 --out {dir}/o", 2, {"--warmup", "out of range"}});
  c.push_back({"run_seed_beyond_64_bits", {}, "run --seed 18446744073709551616 --out {dir}/o", 2,
               {"--seed", "beyond the 64-bit integer range"}});
  c.push_back({"run_order_seed_negative", {}, "run --order-seed -1 --out {dir}/o", 2, {"--order-seed", "out of range"}});
  c.push_back({"run_max_group_size_negative", {}, "run --max-group-size -2 --out {dir}/o", 2, {"--max-group-size"}});
  c.push_back({"run_time_budget_negative", {}, "run --time-budget-s -1 --out {dir}/o", 2, {"--time-budget-s"}});
  c.push_back({"run_frames_not_integer", {}, "run --frames abc --out {dir}/o", 2, {"--frames", "'abc' is not an integer"}});
  c.push_back({"run_prompt_mode", {}, "run" + kTiny + "--axis sync_elim=on --prompt-mode often --out {dir}/o", 2,
               {"--prompt-mode", "'often'", "valid modes: repeat, unique"}});
  c.push_back({"run_axis_duplicate_value", {}, "run" + kTiny + "--axis sync_elim=on,on --out {dir}/o", 2,
               {"--axis", "lists value 'on' twice"}});
  c.push_back({"run_axis_twice", {}, "run" + kTiny + "--axis sync_elim=on --axis sync_elim=off --out {dir}/o", 2,
               {"strategy sync_elim is given twice"}});
  c.push_back({"run_no_axes", {}, "run" + kTiny + "--out {dir}/o", 2, {"no strategy", "--axis"}});
  c.push_back({"run_axis_with_stack_mode", {}, "run" + kTiny + "--mode stack --axis sync_elim=on --out {dir}/o", 2,
               {"--axis is for --mode full"}});
  c.push_back({"search_max_evaluations_negative", {}, "search --matrix {dir}/m.json --max-evaluations -1", 2,
               {"--max-evaluations", "out of range"}});
  c.push_back({"search_time_budget_negative", {}, "search --matrix {dir}/m.json --time-budget-s -5", 2,
               {"--time-budget-s", "out of range"}});
  c.push_back({"search_max_cv_zero", {}, "search --matrix {dir}/m.json --max-cv 0", 2, {"--max-cv", "out of range"}});
  c.push_back({"search_repetitions_zero", {}, "search --matrix {dir}/m.json --repetitions 0", 2,
               {"--repetitions", "out of range"}});
  c.push_back({"search_noise_floor_negative", {}, "search --matrix {dir}/m.json --noise-floor-ms -1", 2,
               {"--noise-floor-ms", "out of range"}});
  c.push_back({"compare_rel_negative", {}, "compare {dir}/a.jsonl {dir}/b.jsonl --rel -0.5", 2, {"--rel", "out of range"}});
  c.push_back({"compare_abs_ms_infinite", {}, "compare {dir}/a.jsonl {dir}/b.jsonl --abs-ms inf", 2,
               {"--abs-ms", "out of range"}});
  c.push_back({"launch_nproc_zero", {}, "launch --nproc 0 -- generate", 2, {"--nproc", "out of range"}});
  c.push_back({"launch_master_port_too_large", {}, "launch --master-port 70000 -- generate", 2,
               {"--master-port", "out of range"}});
  c.push_back({"launch_grace_negative", {}, "launch --grace -1 -- generate", 2, {"--grace", "out of range"}});
  c.push_back({"export_max_shard_bytes_zero", {}, "export-checkpoint --out {dir}/ck --max-shard-bytes 0", 2,
               {"--max-shard-bytes", "out of range"}});
  c.push_back({"export_unknown_preset", {}, "export-checkpoint --preset huge --out {dir}/ck", 2, {"unknown preset 'huge'"}});
  c.push_back({"profile_chunks_reversed", {}, "profile" + kTiny + "--chunks 2-1", 2, {"--chunks 2-1", "A <= B"}});
  c.push_back({"profile_chunks_out_of_range", {}, "profile" + kTiny + "--chunks 0-99", 2, {"--chunks 0-99", "out of range"}});
  c.push_back({"profile_seed_float", {}, "profile --seed 1e30", 2, {"--seed", "'1e30' is not an integer"}});
  // ---- matrix spec (run --matrix, search --matrix, lock --matrix)
  const std::string run_m = "run --matrix {dir}/m.json --out {dir}/o";
  c.push_back({"spec_not_json", {{"m.json", "{\"name\": "}}, run_m, 2, {"m.json: not valid JSON"}});
  c.push_back({"spec_number_overflow", {{"m.json", "{\"repetitions\": 4400000000e99999}"}}, run_m, 2,  // found by fuzzing
               {"m.json: not valid JSON", "number overflow"}});
  c.push_back({"spec_not_object", {{"m.json", "[1, 2]"}}, run_m, 2, {"m.json: expected a JSON object", "array"}});
  c.push_back({"spec_unknown_field", {{"m.json", spec({{"repetitons", 3}})}}, run_m, 2,
               {"m.json: unknown field 'repetitons'", "valid fields"}});
  c.push_back({"spec_repetitions_string", {{"m.json", spec({{"repetitions", "5"}})}}, run_m, 2,
               {"m.json.repetitions: expected an integer", "found \"5\""}});
  c.push_back({"spec_repetitions_zero", {{"m.json", spec({{"repetitions", 0}})}}, run_m, 2,
               {"m.json.repetitions: expected 1..10000, found 0"}});
  c.push_back({"spec_warmup_negative", {{"m.json", spec({{"warmup", -1}})}}, run_m, 2, {"m.json.warmup", "found -1"}});
  c.push_back({"spec_order_seed_beyond_64_bits", {{"m.json", spec({{"order_seed", 18446744073709551615ull}})}}, run_m, 2,
               {"m.json.order_seed: expected an integer (64-bit)"}});
  c.push_back({"spec_unknown_mode", {{"m.json", spec({{"mode", "sideways"}})}}, run_m, 2,
               {"m.json.mode: unknown mode 'sideways'", "valid modes"}});
  c.push_back({"spec_axis_duplicate_value", {{"m.json", spec({{"axes", {{"sync_elim", {"on", "on"}}}}})}}, run_m, 2,
               {"m.json.axes.sync_elim", "lists value 'on' twice"}});
  c.push_back({"spec_axis_empty_list", {{"m.json", spec({{"axes", {{"sync_elim", json::array()}}}})}}, run_m, 2,
               {"m.json.axes.sync_elim: expected a non-empty list of values"}});
  c.push_back({"spec_axis_number_value", {{"m.json", spec({{"axes", {{"sync_elim", {1}}}}})}}, run_m, 2,
               {"m.json.axes.sync_elim: expected string values, found 1"}});
  c.push_back({"spec_axes_empty", {{"m.json", json{{"workload", {{"preset", "tiny"}}}, {"axes", json::object()}}.dump()}},
               run_m, 2, {"m.json.axes", "no strategy"}});
  c.push_back({"spec_list_empty", {{"m.json", spec({{"mode", "list"}, {"axes", nullptr}, {"combinations", json::array()}})}},
               run_m, 2, {"m.json.combinations", "non-empty list"}});
  c.push_back({"spec_stack_twice", {{"m.json", spec({{"mode", "stack"}, {"axes", nullptr}, {"stack", {"sync_elim=on", "sync_elim=off"}}})}},
               run_m, 2, {"m.json.stack[1]", "strategy sync_elim appears twice"}});
  c.push_back({"spec_factorial_three_levels",
               {{"m.json", spec({{"mode", "factorial"}, {"axes", {{"prewarm", {"off", "dit", "full"}}}}})}}, run_m, 2,
               {"m.json.axes.prewarm", "exactly two levels"}});
  c.push_back({"spec_axes_in_stack_mode", {{"m.json", spec({{"mode", "stack"}, {"stack", {"sync_elim=on"}}})}}, run_m, 2,
               {"m.json.axes: only modes full, covering and factorial take axes"}});
  c.push_back({"spec_workload_frames_string", {{"m.json", spec({{"workload", {{"frames", "many"}}}})}}, run_m, 2,
               {"workload.frames: expected an integer", "\"many\""}});
  c.push_back({"spec_workload_frames_not_4n1", {{"m.json", spec({{"workload", {{"frames", 8}}}})}}, run_m, 2,
               {"workload.frames", "4n+1"}});
  c.push_back({"spec_workload_unknown_field", {{"m.json", spec({{"workload", {{"fps", 16}}}})}}, run_m, 2,
               {"workload: unknown field 'fps'"}});
  c.push_back({"spec_workload_unknown_preset", {{"m.json", spec({{"workload", {{"preset", "huge"}}}})}}, run_m, 2,
               {"workload.preset", "huge"}});
  c.push_back({"spec_workload_seed_float", {{"m.json", spec({{"workload", {{"seed", 1.5}}}})}}, run_m, 2,
               {"workload.seed: expected an integer", "1.5"}});
  c.push_back({"spec_workload_prompt_mode", {{"m.json", spec({{"workload", {{"prompt_mode", "often"}}}})}}, run_m, 2,
               {"m.json.workload.prompt_mode: unknown mode 'often'; valid modes: repeat, unique"}});
  c.push_back({"spec_workload_request_cycle_zero",  // once a division by zero (SIGFPE)
               {{"m.json", spec({{"workload", {{"prompt_mode", "unique"}, {"request_cycle", 0}}}})}}, run_m, 2,
               {"m.json.workload.request_cycle: expected 1..1000 requests per cycle, found 0"}});
  c.push_back({"spec_workload_timeout_negative", {{"m.json", spec({{"workload", {{"collective_timeout_s", -1}}}})}}, run_m, 2,
               {"m.json.workload.collective_timeout_s: expected seconds in (0, 86400], found -1"}});
  c.push_back({"spec_workload_poses_alone", {{"p.npy", poses_ok}, {"m.json", spec({{"workload", {{"poses", "{dir}/p.npy"}}}})}},
               run_m, 2, {"--poses and --intrinsics go together", "p.npy"}});
  c.push_back({"spec_workload_image_missing", {{"m.json", spec({{"workload", {{"image", "{dir}/none.png"}}}})}}, run_m, 2,
               {"cannot open image {dir}/none.png"}});
  c.push_back({"search_spec_type_error", {{"m.json", spec({{"warmup", true}})}}, "search --matrix {dir}/m.json --out {dir}/o", 2,
               {"m.json.warmup: expected an integer", "found true"}});
  c.push_back({"lock_spec_missing", {}, "lock --matrix {dir}/none.json --baseline {dir}/b.json", 2,
               {"none.json: cannot read the matrix file"}});
  // ---- baseline (check --baseline; lock updates an existing one)
  const std::string check_b = "check --baseline {dir}/b.json";
  c.push_back({"baseline_not_json", {{"b.json", "{\"schema\": \"ablate.baseline/1\","}}, check_b, 2,
               {"b.json: corrupted baseline (not valid JSON)"}});
  c.push_back({"baseline_number_overflow", {{"b.json", "{\"schema\": 19e810}"}}, check_b, 2,  // found by fuzzing
               {"b.json: corrupted baseline (not valid JSON)", "number overflow"}});
  c.push_back({"export_seed_device_unknown", {}, "export-checkpoint --seed-device tpu --out {dir}/c", 2,
               {"--seed-device: unknown device 'tpu'", "valid values: auto, cpu, cuda"}});
  c.push_back({"baseline_missing", {}, check_b, 2, {"b.json: cannot read the baseline file"}});
  c.push_back({"baseline_schema_wrong_type", {{"b.json", baseline([](json& j) { j["schema"] = 5; })}}, check_b, 2,
               {"b.json.schema: expected a string, found 5"}});
  c.push_back({"baseline_schema_other", {{"b.json", baseline([](json& j) { j["schema"] = "ablate.baseline/9"; })}}, check_b, 2,
               {"b.json.schema: expected \"ablate.baseline/1\", found \"ablate.baseline/9\""}});
  c.push_back({"baseline_tiers_wrong_type", {{"b.json", baseline([](json& j) { j["entries"][0]["tiers"]["baseline"] = 1; })}},
               check_b, 2, {"b.json.entries[0].tiers.baseline: expected a string, found 1"}});
  c.push_back({"baseline_tiers_list", {{"b.json", baseline([](json& j) { j["entries"][0]["tiers"] = {"A"}; })}}, check_b, 2,
               {"b.json.entries[0].tiers: expected an object of strings"}});
  c.push_back({"baseline_tier_unknown", {{"b.json", baseline([](json& j) { j["entries"][0]["tiers"]["baseline"] = "C"; })}},
               check_b, 2, {"b.json.entries[0].tiers.baseline: expected \"A\" or \"B\", found \"C\""}});
  c.push_back({"baseline_entries_missing", {{"b.json", baseline([](json& j) { j.erase("entries"); })}}, check_b, 2,
               {"b.json.entries: missing"}});
  c.push_back({"baseline_entries_not_list", {{"b.json", baseline([](json& j) { j["entries"] = "none"; })}}, check_b, 2,
               {"b.json.entries: expected a list of entries"}});
  c.push_back({"baseline_md5_malformed", {{"b.json", baseline([](json& j) { j["entries"][0]["md5"] = "xyz"; })}}, check_b, 2,
               {"b.json.entries[0].md5: expected an MD5 of 32 lower-case hex digits, found \"xyz\""}});
  c.push_back({"baseline_steps_per_chunk_zero", {{"b.json", baseline([](json& j) { j["entries"][0]["steps_per_chunk"] = 0; })}},
               check_b, 2, {"b.json.entries[0].steps_per_chunk: expected an integer >= 1, found 0"}});
  c.push_back({"baseline_video_shape", {{"b.json", baseline([](json& j) { j["entries"][0]["video_shape"] = {9, 32, 32}; })}},
               check_b, 2, {"b.json.entries[0].video_shape: expected [F, H, W, 3]", "[9,32,32]"}});
  c.push_back({"baseline_video_file_outside", {{"b.json", baseline([](json& j) { j["entries"][0]["video_file"] = "../v.u8"; })}},
               check_b, 2, {"b.json.entries[0].video_file: expected a file name beside the baseline file"}});
  c.push_back({"baseline_hash_chain_numbers", {{"b.json", baseline([](json& j) { j["entries"][0]["hash_chain"] = {1, 2}; })}},
               check_b, 2, {"b.json.entries[0].hash_chain[0]: expected a string, found 1"}});
  c.push_back({"baseline_key_malformed", {{"b.json", baseline([](json& j) { j["entries"][0]["key"] = "KEY"; })}},
               check_b, 2, {"b.json.entries[0].key: expected a fingerprint key of 16 lower-case hex digits, found \"KEY\""}});
  c.push_back({"baseline_video_sha256_malformed",
               {{"b.json", baseline([](json& j) { j["entries"][0]["video_sha256"] = "abc"; })}}, check_b, 2,
               {"b.json.entries[0].video_sha256: expected a SHA-256 of 64 lower-case hex digits, found \"abc\""}});
  c.push_back({"baseline_unknown_entry_field", {{"b.json", baseline([](json& j) { j["entries"][0]["psnr"] = 40; })}}, check_b, 2,
               {"b.json.entries[0]: unknown field 'psnr'"}});
  c.push_back({"baseline_matrix_type_error", {{"b.json", baseline([](json& j) { j["matrix"]["repetitions"] = "one"; })}},
               check_b, 2, {"b.json: matrix.repetitions: expected an integer"}});
  c.push_back({"baseline_duplicate_entry",
               {{"b.json", baseline([](json& j) { j["entries"].push_back(j["entries"][0]); })}}, check_b, 2,
               {".key: expected a fingerprint key no other entry has"}});
  // ---- ledgers (compare, report, analyze, experiment, run --aa)
  c.push_back({"compare_empty_ledgers", {{"a.jsonl", ""}, {"b.jsonl", ""}}, "compare {dir}/a.jsonl {dir}/b.jsonl", 2,
               {"a.jsonl: the ledger holds no records; compare needs at least one"}});
  c.push_back({"compare_missing_ledger", {{"a.jsonl", good}}, "compare {dir}/a.jsonl {dir}/none.jsonl", 2,
               {"none.jsonl: cannot read the ledger"}});
  c.push_back({"ledger_line_not_json", {{"a.jsonl", "garbage\n" + good}, {"b.jsonl", good}},
               "compare {dir}/a.jsonl {dir}/b.jsonl", 2, {"a.jsonl:1: not a JSON record"}});
  c.push_back({"ledger_number_overflow", {{"a.jsonl", "{\"samples_ms\": [2902.91e7087812]}\n" + good}, {"b.jsonl", good}},
               "compare {dir}/a.jsonl {dir}/b.jsonl", 2, {"a.jsonl:1: not a JSON record", "number overflow"}});  // fuzzing
  c.push_back({"ledger_line_not_object", {{"a.jsonl", good + "[1, 2]\n"}, {"b.jsonl", good}},
               "compare {dir}/a.jsonl {dir}/b.jsonl", 2, {"a.jsonl:2: expected a JSON object"}});
  c.push_back({"ledger_samples_wrong_type", {{"a.jsonl", ledger_line([](json& j) { j["samples_ms"] = {1, "x"}; })}, {"b.jsonl", good}},
               "compare {dir}/a.jsonl {dir}/b.jsonl", 2, {"a.jsonl:1.samples_ms[1]: expected a number, found \"x\""}});
  c.push_back({"ledger_status_unknown", {{"a.jsonl", good}, {"b.jsonl", ledger_line([](json& j) { j["status"] = "done"; })}},
               "compare {dir}/a.jsonl {dir}/b.jsonl", 2, {"b.jsonl:1.status: expected ok, skipped or error, found \"done\""}});
  c.push_back({"ledger_combination_missing", {{"a.jsonl", ledger_line([](json& j) { j.erase("combination"); })}},
               "report {dir}/a.jsonl --out {dir}/r", 2, {"a.jsonl:1.combination: missing"}});
  c.push_back({"ledger_torn_only_line", {{"a.jsonl", good.substr(0, 40)}}, "report {dir}/a.jsonl --out {dir}/r", 2,
               {"ignoring a torn last record", "the ledger holds no records; report needs at least one"}});
  c.push_back({"report_empty_ledger", {{"a.jsonl", "\n\n"}}, "report {dir}/a.jsonl --out {dir}/r", 2,
               {"a.jsonl: the ledger holds no records"}});
  c.push_back({"analyze_empty_ledger", {{"a.jsonl", ""}}, "analyze {dir}/a.jsonl", 2, {"a.jsonl: the ledger holds no records"}});
  c.push_back({"analyze_no_axes", {{"a.jsonl", good}}, "analyze {dir}/a.jsonl", 2, {"a.jsonl: no axes recorded"}});
  c.push_back({"compare_nothing_in_common", {{"a.jsonl", good}, {"b.jsonl", ledger_line([](json& j) { j["combination"] = "x=y"; })}},
               "compare {dir}/a.jsonl {dir}/b.jsonl", 2, {"no combination has a finished measurement in both ledgers"}});
  c.push_back({"compare_aa_ledger_not_aa", {{"a.jsonl", good}, {"b.jsonl", good}},
               "compare {dir}/a.jsonl {dir}/b.jsonl --aa {dir}/a.jsonl", 2,
               {"--aa {dir}/a.jsonl: expected an A/A ledger (mode aa: one configuration measured twice)"}});
  c.push_back({"compare_aa_ledger_empty", {{"a.jsonl", good}, {"b.jsonl", good}, {"aa.jsonl", ""}},
               "compare {dir}/a.jsonl {dir}/b.jsonl --aa {dir}/aa.jsonl", 2, {"aa.jsonl: the ledger holds no records"}});
  // ---- journals (experiment, analyze --journal, search --journal)
  c.push_back({"experiment_journal_missing", {{"a.jsonl", good}},
               "experiment --ledger {dir}/a.jsonl --journal {dir}/none.md --title t --hypothesis h --decision keep", 2,
               {"none.md: cannot read the journal"}});
  c.push_back({"experiment_journal_no_section", {{"a.jsonl", good}, {"j.md", "# Notes\n"}},
               "experiment --ledger {dir}/a.jsonl --journal {dir}/j.md --title t --hypothesis h --decision keep", 2,
               {"j.md: no \"## Journal\" section"}});
  c.push_back({"experiment_decision_unknown", {{"a.jsonl", good}, {"j.md", kJournal}},
               "experiment --ledger {dir}/a.jsonl --journal {dir}/j.md --title t --hypothesis h --decision maybe", 2,
               {"--decision: unknown decision 'maybe'", "keep, discard, invalid, crash"}});
  c.push_back({"experiment_empty_ledger", {{"a.jsonl", ""}, {"j.md", kJournal}},
               "experiment --ledger {dir}/a.jsonl --journal {dir}/j.md --title t --hypothesis h --decision keep", 2,
               {"a.jsonl: the ledger holds no records; experiment needs at least one"}});
  c.push_back({"analyze_journal_missing", {{"a.jsonl", good}}, "analyze {dir}/a.jsonl --journal {dir}/none.md", 2,
               {"none.md: cannot read the journal"}});
  c.push_back({"list_update_missing", {}, "list --update {dir}/none.md", 2, {"--update", "none.md: cannot read the file"}});
  // ---- .npy inputs (--poses, --intrinsics, --action) and images (--image)
  const std::string gen = "generate" + kTiny;
  c.push_back({"npy_not_npy", {{"p.npy", "hello, not numpy"}, {"i.npy", intrinsics_ok}},
               gen + "--poses {dir}/p.npy --intrinsics {dir}/i.npy", 2, {"p.npy: not an .npy file"}});
  c.push_back({"npy_poses_shape", {{"p.npy", npy("<f4", "(2, 3, 3)", 2 * 9 * 4)}, {"i.npy", intrinsics_ok}},
               gen + "--poses {dir}/p.npy --intrinsics {dir}/i.npy", 2,
               {"p.npy: expected camera-to-world poses as [N, 4, 4]", "found [2, 3, 3]"}});
  c.push_back({"npy_intrinsics_dtype", {{"p.npy", poses_ok}, {"i.npy", npy("<c8", "(2, 4)", 2 * 4 * 8)}},
               gen + "--poses {dir}/p.npy --intrinsics {dir}/i.npy", 2, {"i.npy: unsupported dtype '<c8'"}});
  c.push_back({"npy_truncated", {{"p.npy", npy("<f4", "(2, 4, 4)", 10)}, {"i.npy", intrinsics_ok}},
               gen + "--poses {dir}/p.npy --intrinsics {dir}/i.npy", 2, {"p.npy: truncated .npy file"}});
  c.push_back({"npy_fortran_order", {{"p.npy", npy("<f4", "(2, 4, 4)", 128, true)}, {"i.npy", intrinsics_ok}},
               gen + "--poses {dir}/p.npy --intrinsics {dir}/i.npy", 2, {"p.npy: the array is stored in Fortran order"}});
  c.push_back({"npy_bad_header", {{"p.npy", npy("<f4", "(2, four, 4)", 128)}, {"i.npy", intrinsics_ok}},
               gen + "--poses {dir}/p.npy --intrinsics {dir}/i.npy", 2, {"p.npy: not a valid .npy header"}});
  c.push_back({"npy_poses_without_intrinsics", {{"p.npy", poses_ok}}, gen + "--poses {dir}/p.npy", 2,
               {"--poses and --intrinsics go together"}});
  c.push_back({"npy_action_shape", {{"a.npy", npy("<i4", "(3, 5)", 60)}}, gen + "--action {dir}/a.npy", 2,
               {"a.npy: expected actions", "[N, 4]", "found [3, 5]"}});
  c.push_back({"image_not_an_image", {{"img.png", "this is text"}}, gen + "--image {dir}/img.png", 2, {"img.png"}});
  c.push_back({"image_missing", {}, gen + "--image {dir}/none.png", 2, {"cannot open image", "none.png"}});
  // ---- checkpoint folder, config, safetensors index and files (--checkpoint-dir; read at the build)
  const std::string ck = gen + "--checkpoint-dir {dir}/ck";
  const std::string dit = "ck/lingbot_world_fast/";
  const File t5{"ck/models_t5_umt5-xxl-enc-bf16.pth", ""}, vae{"ck/Wan2.1_VAE.pth", ""};
  const File config{dit + "config.json", tiny_dit_config().dump()};
  const File weights_file{dit + "diffusion_pytorch_model.safetensors", ""};  // present; the config is read first
  c.push_back({"checkpoint_dir_missing", {}, gen + "--checkpoint-dir {dir}/none", 2, {"--checkpoint-dir", "none does not exist"}});
  c.push_back({"checkpoint_lacks_files", {config}, ck, 2,
               {"lacks 3 file(s) of the reference's layout", "diffusion_pytorch_model.safetensors",
                "models_t5_umt5-xxl-enc-bf16.pth", "Wan2.1_VAE.pth"}});
  c.push_back({"checkpoint_config_not_json", {t5, vae, weights_file, {dit + "config.json", "{"}}, ck, 2,
               {"config.json: does not parse as JSON"}});
  c.push_back({"checkpoint_config_field_missing", {t5, vae, weights_file, {dit + "config.json", "{}"}}, ck, 2,
               {"config.json: field 'model_type' is missing; expected \"i2v\""}});
  json wrong_type = tiny_dit_config();
  wrong_type["num_layers"] = "3";
  c.push_back({"checkpoint_config_wrong_type", {t5, vae, weights_file, {dit + "config.json", wrong_type.dump()}}, ck, 2,
               {"config.json: field 'num_layers' is \"3\"; preset 'tiny' expects 3"}});
  const std::string index = dit + "diffusion_pytorch_model.safetensors.index.json";
  c.push_back({"checkpoint_index_not_json", {t5, vae, config, {index, "{\"weight_map\": "}}, ck, 2,
               {"safetensors.index.json: the index does not parse as JSON"}});
  c.push_back({"checkpoint_index_empty_map", {t5, vae, config, {index, "{\"weight_map\": {}}"}}, ck, 2,
               {"safetensors.index.json: weight_map is empty"}});
  const std::string weights = dit + "diffusion_pytorch_model.safetensors";
  c.push_back({"safetensors_header_too_long", {t5, vae, config, {weights, std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}")}},
               ck, 2, {"diffusion_pytorch_model.safetensors: header length 9223372036854775807 bytes is over the format's limit"}});
  c.push_back({"safetensors_header_not_object", {t5, vae, config, {weights, safetensors("[1]")}}, ck, 2,
               {"the header does not start with '{'; not a safetensors file"}});
  c.push_back({"safetensors_dtype_wrong_type",
               {t5, vae, config, {weights, safetensors(R"({"a":{"dtype":5,"shape":[1],"data_offsets":[0,4]}})")}}, ck, 2,
               {"key 'a': dtype must be a string"}});
  c.push_back({"safetensors_shape_vs_offsets",
               {t5, vae, config, {weights, safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})")}}, ck, 2,
               {"key 'a': data_offsets [0, 4) hold 4 bytes, but shape [2] of F32 needs 8"}});
  // ---- an internal LibTorch error (exit 1): one line naming the operation; the full text with --verbose
  c.push_back({"libtorch_error_one_line", {{"latents/keep", ""}}, gen + "--save-latents {dir}/latents", 1,
               {"ablate: failed: ", "cannot be opened", "while writing the last run's outputs", "--verbose for the full text"}});
  c.push_back({"libtorch_error_verbose", {{"latents/keep", ""}}, "--verbose " + gen + "--save-latents {dir}/latents", 1,
               {"ablate: failed: ", "full error text:", "cannot be opened"}});
  return c;
}

// gtest prints a failing case by its name
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::string substitute(std::string text, const std::string& dir) {
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{dir}", dir}, {"{src}", ABLATE_SOURCE_DIR}})
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  return text;
}

class BadInputCorpus : public ::testing::TestWithParam<Case> {};

TEST_P(BadInputCorpus, RefusedWithANamedReason) {
  const Case& c = GetParam();
  const std::string dir = testing::make_scratch_dir("bad-input-" + c.name + "-");
  for (const auto& f : c.files) {
    const fs::path path = fs::path(dir) / f.name;
    fs::create_directories(path.parent_path());
    testing::write_text(path.string(), substitute(f.content, dir));
  }
  const auto r = testing::run_ablate_quick(substitute(c.command, dir));  // in process: ~1 s less per case
  EXPECT_EQ(r.exit_code, c.exit_code) << c.command << "\n" << r.output;
  for (const auto& needle : c.needles)
    EXPECT_NE(r.output.find(substitute(needle, dir)), std::string::npos)
        << "missing '" << needle << "' in the output of " << c.command << ":\n" << r.output;
  if (c.command.find("--verbose") == std::string::npos) {  // one line: never a C++ backtrace
    EXPECT_EQ(r.output.find("frame #"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("Exception raised from"), std::string::npos) << r.output;
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInputCorpus, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(BadInputCorpusTable, CoversEverySubcommandWithSixtyCases) {
  const auto cases = corpus();
  EXPECT_GE(cases.size(), 60u);
  for (const char* sub : {"generate", "run", "search", "compare", "check", "lock", "launch", "export-checkpoint",
                          "profile", "report", "analyze", "experiment", "list"}) {
    bool found = false;
    for (const auto& c : cases) found = found || c.command.rfind(std::string(sub) + " ", 0) == 0;
    EXPECT_TRUE(found) << "no case for " << sub;
  }
}

}  // namespace bad_input_corpus_test
}  // namespace ablate
