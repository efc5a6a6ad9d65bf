#include "experiments/cli/run_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/dist/world.h"
#include "core/error.h"
#include "core/video_hash.h"
#include "experiments/cli/device_processes.h"
#include "experiments/cli/pipeline_setup.h"
#include "experiments/runner/assignment.h"
#include "experiments/runner/baseline_lock.h"
#include "experiments/runner/combinations.h"
#include "experiments/common/fingerprint.h"
#include "experiments/common/json_fields.h"
#include "experiments/common/number_text.h"
#include "experiments/gate/gate.h"
#include "experiments/runner/ledger.h"
#include "experiments/runner/ledger_merge.h"
#include "experiments/research/ledger_compare.h"
#include "experiments/report/markdown_report.h"
#include "experiments/common/output_folder.h"
#include "experiments/report/report_files.h"
#include "experiments/common/run_environment.h"
#include "experiments/runner/runner.h"

namespace ablate {
namespace fs = std::filesystem;

CLI::App* add_run_command(CLI::App& app, RunCommandOptions& o) {
  auto* cmd = app.add_subcommand("run", "Run an ablation matrix: ledger (JSONL), Markdown, Google Benchmark JSON, HTML.");
  cmd->add_option("--matrix", o.matrix, "Matrix spec (JSON, e.g. experiments/matrices/tiny-cpu.json)");
  cmd->add_option("--out", o.out, "Output folder")->capture_default_str();
  cmd->add_flag("--resume", o.resume, "Continue the ledger in --out, skipping finished combinations");
  cmd->add_option("--time-budget-s", o.time_budget_s, "Start no engine group after this many seconds; "
                                                       "the rest waits for --resume (0: none)")
      ->check(number_in(0, 1e9));
  cmd->add_option("--max-group-size", o.max_group_size, "At most this many combinations share one engine and "
                                                         "interleave (0: all that can); with --time-budget-s, "
                                                         "splits a large group over calls")
      ->check(integer_in(0, 1000000));
  cmd->add_option("--partition", o.partition, "K/N: run job K of N (engine groups whole, strategy values spread "
                                              "evenly; join the jobs' ledgers with `ablate merge`); auto or auto/N: K "
                                              "and N from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX with "
                                              "ABLATE_PARTITION_COUNT");
  cmd->add_option("--devices", o.devices, "Devices to run on at once, e.g. 0,1: one process per device, engine groups "
                                          "dealt at random (seeded), each device's verdicts against its own "
                                          "baseline (OUT/device-<d>/), joined into OUT/ledger.jsonl; on the CPU "
                                          "the list stands for processes");
  cmd->add_option("--gpus", o.gpus, "N: --devices 0,...,N-1")->check(CLI::Range(1, 1024));
  cmd->add_option("--nproc", o.nproc, "With --devices/--gpus: ranks per combination (world size); the devices are "
                                      "taken N at a time, each group one `ablate launch --nproc N -- run`")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--device-slot", o.device_slot)->group("");
  cmd->add_option("--device-label", o.device_label)->group("");
  cmd->add_option("--baseline", o.baseline, "Gate outputs against this locked baseline (ablate lock)");
  cmd->add_option("--name", o.name, "Matrix name (without --matrix)");
  cmd->add_option("--preset", o.preset, "Workload preset (without --matrix)");
  cmd->add_option("--device", o.device, "cpu, cuda or cuda:N (without --matrix)");
  cmd->add_option("--dtype", o.dtype, "fp32 or bf16 (without --matrix)");
  cmd->add_option("--size", o.size, "Max-area size H*W (without --matrix)");
  cmd->add_option("--frames", o.frames, "Pixel frames 4n+1 (without --matrix)")->check(integer_in(1, 100001));
  cmd->add_option("--seed", o.seed, "Noise seed (without --matrix)")->check(integer_in(0, kMaxInt64));
  cmd->add_option("--mode", o.mode, "full | stack | one_at_a_time | aa (default full); with --matrix only aa: "
                                    "the spec's workload, its baseline measured twice (the noise floor)");
  cmd->add_option("--axis", o.axes, "full mode: name=v1,v2 (repeatable)");
  cmd->add_option("--stack", o.stack, "stack / one_at_a_time modes: name=value, in order (repeatable)");
  cmd->add_option("--warmup", o.warmup, "Untimed generate() per combination (overrides the spec)")
      ->check(integer_in(0, 1000));
  cmd->add_option("--repetitions", o.repetitions, "Timed generate() per combination (overrides the spec)")
      ->check(integer_in(1, 10000));
  cmd->add_option("--order-seed", o.order_seed, "Seed of the interleaved order (overrides the spec)")
      ->check(integer_in(0, kMaxInt64));
  cmd->add_flag("--adaptive", o.adaptive, "Adaptive repetitions: stop measuring a combination once its verdict "
                                          "against the baseline is decided (group-sequential rule, alpha 0.05 over "
                                          "all looks; looks at 5, 10, ...), at most --repetitions");
  cmd->add_option("--max-repetitions", o.max_repetitions, "With adaptive repetitions (implies --adaptive): the most "
                                                          "timed generate() per combination")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--prompt-mode", o.prompt_mode, "repeat | unique (overrides the spec)");
  cmd->add_flag("--no-sync-audit", o.no_sync_audit, "Skip the extra CUDA sync-debug generate() per combination");
  cmd->add_option("--debug-perturb-rank", o.debug_perturb_rank)->group("")->check(integer_in(-1, 65535));
  return cmd;
}

CLI::App* add_lock_command(CLI::App& app, CheckCommandOptions& o) {
  auto* cmd = app.add_subcommand("lock", "Run a matrix's baseline combination and lock its output for this fingerprint.");
  cmd->add_option("--matrix", o.matrix, "Matrix spec whose workload and combinations the baseline covers")->required();
  cmd->add_option("--baseline", o.baseline, "Baseline file to write or update")->required();
  return cmd;
}

CLI::App* add_check_command(CLI::App& app, CheckCommandOptions& o) {
  auto* cmd = app.add_subcommand("check", "Run the combinations once each and gate them on the locked baseline.");
  cmd->add_option("--baseline", o.baseline, "Baseline file (ablate lock)")->required();
  cmd->add_option("--matrix", o.matrix, "Matrix spec (default: the one the baseline was locked with)");
  cmd->add_option("--out", o.out, "Folder for the check's ledger and report (optional)");
  cmd->add_option("--debug-perturb-rank", o.debug_perturb_rank)->group("")->check(integer_in(-1, 65535));
  return cmd;
}

namespace {

MatrixSpec spec_from_flags(const RunCommandOptions& flags) {
  RunCommandOptions o = flags;
  if (o.mode.empty()) o.mode = "full";
  nlohmann::json j{{"name", o.name}, {"mode", o.mode}};
  j["workload"] = {{"preset", o.preset}, {"device", o.device}, {"frames", o.frames}, {"seed", o.seed}};
  if (!o.dtype.empty()) j["workload"]["dtype"] = o.dtype;
  if (!o.size.empty()) j["workload"]["size"] = o.size;
  ABLATE_USAGE_CHECK(o.mode == "full" || o.axes.empty(), "--axis is for --mode full (mode is ", o.mode, ")");
  ABLATE_USAGE_CHECK(o.stack.empty() || o.mode == "stack" || o.mode == "one_at_a_time", "--stack is for --mode stack or "
                     "one_at_a_time (mode is ", o.mode, ")");
  if (o.mode == "full") {
    ABLATE_USAGE_CHECK(!o.axes.empty(), "no strategy to vary (an empty matrix): give at least one --axis name=v1,v2, "
                       "or --mode stack with --stack, or --matrix");
    j["axes"] = nlohmann::json::object();
    for (const auto& a : o.axes) {
      const auto [name, values] = parse_axis(a, "--axis");
      ABLATE_USAGE_CHECK(!j["axes"].contains(name), "--axis: strategy ", name, " is given twice");
      j["axes"][name] = values;
    }
  } else if (o.mode == "stack" || o.mode == "one_at_a_time") {
    for (const auto& e : o.stack) parse_assignment(e, "--stack");
    j["stack"] = o.stack;
  }
  return parse_matrix_spec(j, "command line");
}

void apply_overrides(const RunCommandOptions& o, MatrixSpec& s) {
  if (!o.matrix.empty() && !o.mode.empty()) {
    ABLATE_USAGE_CHECK(o.mode == "aa", "--mode ", o.mode, " with --matrix: the spec sets the mode; only --mode aa "
                       "(the spec's workload, its baseline twice) may override it");
    s.mode = MatrixMode::kAA;
    s.stack.clear();
    s.name += "-aa";
  }
  if (o.warmup >= 0) s.warmup = o.warmup;
  if (o.repetitions >= 0) {
    ABLATE_USAGE_CHECK(o.repetitions >= 1, "--repetitions: expected >= 1, found ", o.repetitions);
    s.repetitions = o.repetitions;
  }
  if (o.max_repetitions > 0) s.repetitions = o.max_repetitions;
  if ((o.adaptive || o.max_repetitions > 0) && s.adaptive.is_null()) s.adaptive = true;
  if (o.order_seed >= 0) s.order_seed = static_cast<uint64_t>(o.order_seed);
  if (!o.prompt_mode.empty()) {
    ABLATE_USAGE_CHECK(o.prompt_mode == "repeat" || o.prompt_mode == "unique", "--prompt-mode: unknown mode '",
                       o.prompt_mode, "'; valid modes: repeat, unique");
    s.workload.prompt_mode = o.prompt_mode;
  }
}

bool is_rank0() { return !dist::launched_by_launcher() || dist::world_from_env().rank == 0; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// What the gate saw, in one line: the MD5 and, when it differs, where and by how much.
std::string gate_summary(const LedgerRecord& r) {
  std::ostringstream os;
  os << "md5 " << r.md5;
  const auto& g = r.gate;
  if (!g.md5_ok || *g.md5_ok) return os.str();
  if (g.failing_request) os << "; request " << *g.failing_request << " differs";
  if (g.first_divergence)
    os << "; first divergent chunk " << g.first_divergence->first << ", step " << g.first_divergence->second;
  else
    os << "; every denoising step matches, the divergence is in the VAE decode";
  if (g.psnr_db) os << "; PSNR " << fixed_text(*g.psnr_db, 2) << " dB, max |diff| " << g.max_abs_u8.value_or(0);
  if (g.min_frame_psnr_db) os << ", worst frame " << fixed_text(*g.min_frame_psnr_db, 2) << " dB";
  if (g.latent_rel_l2) os << ", latent rel L2 " << *g.latent_rel_l2;
  if (g.bound)
    os << " (bound: PSNR >= " << g.bound->min_psnr_db << " dB, max |diff| <= " << g.bound->max_abs_u8
       << ", worst frame >= " << g.bound->min_frame_psnr_db << " dB, latent rel L2 <= " << g.bound->max_latent_rel_l2 << ")";
  return os.str();
}

}  // namespace

namespace run_devices {

// `run --devices`: a process per device, then the one joined ledger and its reports.
int run_on_devices(const RunCommandOptions& o, const MatrixSpec& spec) {
  ABLATE_USAGE_CHECK(o.devices.empty() || o.gpus == 0, "--devices and --gpus: pass one of them");
  const size_t nproc = static_cast<size_t>(o.nproc);
  ABLATE_USAGE_CHECK(o.partition.empty(), "--devices with --partition: run a partition's job on one device per job");
  ABLATE_USAGE_CHECK(!dist::launched_by_launcher(), "--devices starts its own processes (one per device, or with "
                     "--nproc N one `launch` per N devices); do not start it under `ablate launch` or torchrun");
  std::vector<std::string> devices;
  if (!o.devices.empty()) {
    devices = parse_device_list(o.devices, "--devices");
  } else {
    for (int d = 0; d < o.gpus; ++d) devices.push_back(std::to_string(d));
  }
  prepare_output_folder(o.out, "--out");
  const std::string ledger = (fs::path(o.out) / "ledger.jsonl").string();
  ABLATE_USAGE_CHECK(o.resume || !fs::exists(ledger), "--out ", o.out, ": ", ledger,
                     " exists; pass --resume to continue it, or choose another --out");
  const bool cuda = spec.workload.device.rfind("cuda", 0) == 0;
  ABLATE_USAGE_CHECK(devices.size() % nproc == 0, o.devices.empty() ? "--gpus " + std::to_string(o.gpus) : "--devices " + o.devices,
                     ": ", devices.size(), " device(s) do not split into groups of --nproc ", nproc,
                     "; pass a multiple of ", nproc, " devices");
  const auto common = arguments_without(std::vector<std::string>(o.argv.begin() + (o.argv.empty() ? 0 : 1), o.argv.end()),
                                        {"--devices", "--gpus", "--out", "--nproc"});
  const size_t groups = devices.size() / nproc;
  std::vector<DeviceProcess> processes;
  std::vector<std::string> ledgers;
  for (size_t k = 0; k < groups; ++k) {
    // a group of nproc devices: its label joins them with '+', its ranks see them as cuda:0..N-1
    std::string label, visible;
    for (size_t d = k * nproc; d < (k + 1) * nproc; ++d) {
      label += (label.empty() ? "" : "+") + devices[d];
      visible += (visible.empty() ? "" : ",") + devices[d];
    }
    DeviceProcess p;
    p.device = label;
    const std::string dir = (fs::path(o.out) / ("device-" + label)).string();
    if (nproc > 1) p.args = {"launch", "--nproc", std::to_string(nproc), "--"};
    p.args.insert(p.args.end(), common.begin(), common.end());
    for (const std::string& a : {std::string("--out"), dir, std::string("--device-slot"),
                                 std::to_string(k + 1) + "/" + std::to_string(groups), std::string("--device-label"),
                                 label})
      p.args.push_back(a);
    if (cuda) p.env["CUDA_VISIBLE_DEVICES"] = visible;  // the ranks' cuda:0, cuda:1, ...
    processes.push_back(p);
    ledgers.push_back((fs::path(dir) / "ledger.jsonl").string());
  }
  std::cerr << "ablate run: " << groups << " device process(es)" << (nproc > 1 ? " of " + std::to_string(nproc) + " ranks" : "")
            << " (" << o.devices << (o.gpus ? "--gpus" : "") << "), each in " << o.out << "/device-<d>/\n";
  const int code = run_device_processes(processes, std::cerr);
  std::vector<std::string> present;
  for (const auto& l : ledgers)
    if (fs::exists(l) && fs::file_size(l) > 0) present.push_back(l);
  ABLATE_USAGE_CHECK(!present.empty(), "--devices: no device process wrote a ledger (see the errors above)");
  const auto merged = merge_ledgers(present, false);
  std::string text;
  for (const auto& r : merged.records) text += r.to_json().dump() + "\n";
  write_file_atomically(ledger, text);  // the one writer of the joined ledger
  write_reports(merged.records, spec.name, o.out);
  std::cout << matrix_table(merged.records) << "\njoined " << present.size() << " device ledger(s) into " << ledger
            << " (verdicts within each device: " << o.out << "/device-<d>/report.md)\n";
  return code;
}

}  // namespace run_devices

int run_run_command(const RunCommandOptions& o) {
  MatrixSpec spec = o.matrix.empty() ? spec_from_flags(o) : load_matrix_spec(o.matrix);
  apply_overrides(o, spec);
  if (!o.devices.empty() || o.gpus > 0) return run_devices::run_on_devices(o, spec);
  ABLATE_USAGE_CHECK(o.nproc == 1, "--nproc ", o.nproc, ": only with --devices or --gpus (one group of ranks: "
                     "`ablate launch --nproc ", o.nproc, " -- run ...`)");
  if (!o.device_label.empty() && spec.workload.device.rfind("cuda", 0) == 0)
    spec.workload.device = "cuda";  // the one device CUDA_VISIBLE_DEVICES leaves this process
  RunnerOptions ro;
  ro.resume = o.resume;
  ro.time_budget_s = o.time_budget_s;
  ro.max_group_size = o.max_group_size;
  ro.adaptive = parse_adaptive(spec.adaptive, spec.repetitions, spec.source + ": adaptive");
  if (!o.partition.empty()) ro.partition = parse_partition(o.partition, "--partition");
  if (!o.device_slot.empty()) {  // a process of `run --devices`
    ro.partition = parse_partition(o.device_slot, "--device-slot");
    ro.partition.by_device = true;
    ro.device_label = o.device_label;
  }
  ro.audit_syncs = !o.no_sync_audit;
  ro.debug_perturb_rank = o.debug_perturb_rank;
  if (!o.baseline.empty()) ro.baseline = read_baseline(o.baseline);
  const bool rank0 = is_rank0();
  const std::string ledger = (fs::path(o.out) / "ledger.jsonl").string();
  if (rank0) {
    prepare_output_folder(o.out, "--out");
    ABLATE_USAGE_CHECK(o.resume || !fs::exists(ledger), "--out ", o.out, ": ", ledger,
                       " exists; pass --resume to continue it, or choose another --out");
    if (spec.repetitions < 9)
      std::cerr << "ablate: warning: " << spec.repetitions << " repetitions per combination; 9+ are recommended for verdicts\n";
  }
  ro.ledger_path = ledger;
  std::cerr << "ablate run: matrix " << spec.name << " (" << matrix_mode_name(spec.mode) << ")"
            << (ro.partition.active() ? ", job " + ro.partition.label() : std::string()) << ", " << spec.warmup
            << " warm-up + " << (ro.adaptive ? "at most " : "") << spec.repetitions << " repetitions per combination"
            << (ro.adaptive ? " (adaptive: " + ro.adaptive->summary() + ")" : std::string()) << "\n";
  const auto result = run_matrix(spec, ro);
  if (!rank0) return 0;
  const auto records = read_ledger(ledger);  // with the records of earlier (resumed) runs
  write_reports(records, spec.name, o.out);
  if (spec.mode == MatrixMode::kAA) {
    const double floor = aa_noise_floor(records, spec.order_seed);
    write_file_atomically((fs::path(o.out) / "noise-floor.json").string(),
                          nlohmann::json{{"noise_floor_ms", floor}, {"matrix", spec.name}}.dump(2) + "\n");
    std::cout << "A/A noise floor: " << floor << " ms (|median difference| + CI half-width; pass it to compare/search "
              << "as --noise-floor-ms)\n";
  }
  std::cout << matrix_table(records) << "\nwrote " << o.out << "/{ledger.jsonl,report.md,benchmark.json,report.html}\n";
  if (result.groups_left)
    std::cout << "incomplete: " << result.groups_left << " engine group(s) not measured (time budget); continue with "
              << "--resume --out " << o.out << "\n";
  return result.gate_failures || result.errors ? 1 : 0;
}

int run_lock_command(const CheckCommandOptions& o) {
  MatrixSpec spec = load_matrix_spec(o.matrix);
  BaselineFile file;
  file.path = o.baseline;
  if (fs::exists(o.baseline)) {
    file = read_baseline(o.baseline);  // keeps the other fingerprints' entries
    ABLATE_USAGE_CHECK(file.matrix["workload"] == spec.workload.to_json(), o.baseline,
                       ": locked for another workload; lock this matrix into another file");
  }
  file.matrix = spec.to_json();
  const auto all = expand_combinations(spec, opt::RunConfig{{}, parse_device(spec.workload.device),
                                                             dist::launched_by_launcher() ? dist::world_from_env().size : 1});
  const auto result = run_baseline_outputs(spec);  // the baseline, once per request of the cycle
  if (!is_rank0()) return 0;
  BaselineEntry e = baseline_entry_of(result, o.baseline);
  for (const auto& c : all) e.tiers[c.id] = opt::tier_name(c.tier);
  write_baseline(file, e, result.baseline_video, result.baseline_latents);
  std::cout << "locked " << o.baseline << " [" << e.key << "]: md5 " << e.md5 << ", " << e.hash_chain.size()
            << " steps, " << result.baseline_md5s.size() << " request(s), " << all.size() << " combinations' tiers\n";
  return 0;
}

int run_check_command(const CheckCommandOptions& o) {
  BaselineFile file = read_baseline(o.baseline);
  const auto locked_spec = [&] { return parse_matrix_spec(file.matrix, o.baseline + ": matrix"); };
  MatrixSpec spec = o.matrix.empty() ? guard_json_file(o.baseline, locked_spec) : load_matrix_spec(o.matrix);
  ABLATE_USAGE_CHECK(file.matrix.contains("workload") && file.matrix["workload"] == spec.workload.to_json(), "--matrix ",
                     o.matrix, ": its workload differs from the one ", o.baseline, " was locked with");
  const auto fingerprint = run_fingerprint(spec);
  const std::string key = fingerprint_key(fingerprint);
  if (!file.find(key)) {
    std::string closest = file.entries.empty() ? "the file has no entries"
                                               : fingerprint_difference(file.entries.front().fingerprint, fingerprint);
    std::cerr << "ablate check: rebaseline required: " << o.baseline << " has no entry for this fingerprint [" << key
              << "]; against its first entry: " << closest << ". Run `ablate lock --matrix <spec> --baseline "
              << o.baseline << "` on this machine.\n";
    return kExitRebaseline;
  }
  spec.warmup = 0;
  spec.repetitions = spec.workload.requests_per_cycle();  // one cycle: every request once
  RunnerOptions ro;
  ro.baseline = file;
  ro.debug_perturb_rank = o.debug_perturb_rank;
  ro.audit_syncs = false;
  if (!o.out.empty() && is_rank0()) {
    prepare_output_folder(o.out, "--out");
    ro.ledger_path = (fs::path(o.out) / "ledger.jsonl").string();
    ABLATE_USAGE_CHECK(!fs::exists(ro.ledger_path), "--out ", o.out, ": ", ro.ledger_path, " exists; choose another --out");
  }
  const auto result = run_matrix(spec, ro);
  if (!is_rank0()) return 0;
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& r : result.records) {
    if (r.status == RecordStatus::kSkipped) {
      ++skipped;
      std::cout << "SKIP " << r.combination << ": " << r.reason << "\n";
      continue;
    }
    if (r.status == RecordStatus::kError) {
      ++failed;
      std::cout << "FAIL " << r.combination << ": error: " << first_line(r.reason) << "\n";
      continue;
    }
    const GateVerdict verdict = gate_verdict(r.tier, r.gate);
    (verdict.pass ? passed : failed)++;
    std::cout << (verdict.pass ? "PASS " : "FAIL ") << r.combination << " (tier " << r.tier << "): " << gate_summary(r)
              << (verdict.pass ? "" : " -- " + verdict.reason) << "\n";
  }
  if (!o.out.empty()) write_reports(read_ledger(ro.ledger_path), spec.name + " (check)", o.out);
  std::cout << "ablate check: " << passed << " passed, " << failed << " failed, " << skipped << " skipped against "
            << o.baseline << " [" << key << "]\n";
  return failed ? 1 : 0;
}

}  // namespace ablate
