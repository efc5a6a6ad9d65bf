#include "experiments/runner/ledger_record.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "experiments/common/json_fields.h"
#include "experiments/stats/statistics.h"

namespace ablate {

const char* record_status_name(RecordStatus s) {
  switch (s) {
    case RecordStatus::kOk: return "ok";
    case RecordStatus::kSkipped: return "skipped";
    case RecordStatus::kError: return "error";
  }
  return "?";
}

double LedgerRecord::median_ms() const {
  if (stats) return stats->median;
  return samples_ms.empty() ? 0.0 : stats::median(samples_ms);
}

namespace {

nlohmann::json number_or_inf(double v) { return std::isinf(v) ? nlohmann::json(v > 0 ? "inf" : "-inf") : nlohmann::json(v); }

template <typename T>
nlohmann::json optional_json(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

void LedgerRecord::write_gate_fields(nlohmann::json& j) const {
  if (!gate.reference.empty()) j["reference"] = gate.reference;
  j["md5_ok"] = optional_json(gate.md5_ok);
  if (gate.md5_ok && !*gate.md5_ok) {
    j["first_divergence"] = gate.first_divergence
                                ? nlohmann::json{{"chunk", gate.first_divergence->first}, {"step", gate.first_divergence->second}}
                                : nlohmann::json(nullptr);
  }
  if (gate.psnr_db) j["psnr_db"] = number_or_inf(*gate.psnr_db);
  if (gate.max_abs_u8) j["max_abs_u8"] = *gate.max_abs_u8;
  if (gate.min_frame_psnr_db) j["min_frame_psnr_db"] = number_or_inf(*gate.min_frame_psnr_db);
  if (gate.latent_rel_l2) j["latent_rel_l2"] = number_or_inf(*gate.latent_rel_l2);
  if (gate.bound)
    j["bound"] = {{"min_psnr_db", gate.bound->min_psnr_db}, {"max_abs_u8", gate.bound->max_abs_u8},
                  {"within", gate.bound->within}, {"min_frame_psnr_db", gate.bound->min_frame_psnr_db},
                  {"max_latent_rel_l2", gate.bound->max_latent_rel_l2}};
  if (gate.failing_request) j["failing_request"] = *gate.failing_request;
}

nlohmann::json LedgerRecord::to_json() const {
  nlohmann::json j;
  j["schema"] = "ablate.ledger/" + std::to_string(schema_version);
  j["matrix"] = matrix;
  j["mode"] = mode;
  j["workload"] = workload;
  j["environment"] = environment;
  j["fingerprint"] = fingerprint;
  j["fingerprint_key"] = fingerprint_key;
  j["warmup"] = warmup;
  j["repetitions"] = repetitions;
  j["dit_forwards_expected"] = dit_forwards_expected;
  j["spec"] = spec;
  j["command"] = command;
  j["combination"] = combination;
  j["stage"] = stage;
  j["strategies"] = strategies;
  j["tier"] = tier;
  j["status"] = record_status_name(status);
  if (!partition.empty()) j["partition"] = partition;
  if (partition_reference) j["partition_reference"] = true;
  if (!device.empty()) j["device"] = device;
  if (adaptive)
    j["adaptive"] = {{"rule", adaptive->rule},       {"max_repetitions", adaptive->max_repetitions},
                     {"stopped_at", adaptive->stopped_at}, {"look", adaptive->look},
                     {"looks", adaptive->looks},     {"verdict", adaptive->verdict},
                     {"reason", adaptive->reason}};
  if (status != RecordStatus::kOk) {
    j["reason"] = reason;
    return j;
  }
  j["samples_ms"] = samples_ms;
  if (!generate_samples_ms.empty()) j["generate_samples_ms"] = generate_samples_ms;
  j["cold_ms"] = optional_json(cold_ms);
  j["build_ms"] = build_ms;
  j["install_ms"] = install_ms;
  if (stats)
    j["stats"] = {{"median", stats->median}, {"mean", stats->mean}, {"stddev", stats->stddev}, {"cv", stats->cv},
                  {"min", stats->min},       {"max", stats->max},   {"ci_low", stats->ci_low}, {"ci_high", stats->ci_high}};
  j["phases_ms"] = phases_ms;
  j["collectives"] = nlohmann::json::object();
  for (const auto& [name, c] : collectives) {
    nlohmann::json row{{"calls", c.calls}, {"bytes", c.bytes}, {"ms", c.ms}};
    if (c.share) row["share"] = *c.share;
    if (c.algbw_gbps) row["algbw_gbps"] = *c.algbw_gbps;
    if (c.busbw_gbps) row["busbw_gbps"] = *c.busbw_gbps;
    j["collectives"][name] = row;
  }
  j["nccl_ms"] = nccl_ms;
  if (syncs)
    j["syncs"] = {{"total", syncs->total}, {"dit", syncs->dit}, {"host_metadata", syncs->host_metadata},
                  {"cuda_sync_debug", optional_json(syncs->cuda_sync_debug)}};
  j["peak_memory_bytes"] = peak_memory_bytes;
  j["dit_forwards"] = dit_forwards;
  j["md5"] = md5;
  j["md5_stable"] = md5_stable;
  j["hash_chain_head"] = hash_chain_head;
  if (!request_md5s.empty()) j["request_md5s"] = request_md5s;
  if (!rank_latent_md5s.empty()) j["rank_latent_md5s"] = rank_latent_md5s;
  if (!latency_ms.empty()) j["latency_ms"] = latency_ms;
  if (!gpu_clocks.empty()) {
    j["gpu_clocks"] = nlohmann::json::array();
    for (const auto& w : gpu_clocks) j["gpu_clocks"].push_back(w.to_json());
  }
  j["counters"] = counters;
  write_gate_fields(j);
  j["validity"] = validity;
  j["invalid_reasons"] = invalid_reasons;
  j["warnings"] = warnings;
  return j;
}

namespace {

nlohmann::json object_or_empty(const JsonFields& f, const std::string& key) {
  if (!f.has(key)) return nlohmann::json::object();
  return f.object(key).json();
}

}  // namespace

namespace {

void read_run(const JsonFields& f, LedgerRecord& r) {
  const std::string schema = f.has("schema") ? f.string("schema") : "none";
  if (schema == "ablate.ledger/1") r.schema_version = 1;
  else if (schema == "ablate.ledger/2") r.schema_version = 2;
  else if (schema == "ablate.ledger/3") r.schema_version = 3;
  else f.check(false, "schema", std::string("\"ablate.ledger/1\", \"ablate.ledger/2\" or \"") + kLedgerSchema + "\"", schema);
  r.matrix = f.string_or("matrix", "");
  r.mode = f.string_or("mode", "");
  r.fingerprint_key = f.string_or("fingerprint_key", "");
  r.command = f.string_or("command", "");
  r.workload = object_or_empty(f, "workload");
  r.environment = object_or_empty(f, "environment");
  r.fingerprint = object_or_empty(f, "fingerprint");
  r.spec = object_or_empty(f, "spec");
  r.warmup = f.integer_or("warmup", 0);
  r.repetitions = f.integer_or("repetitions", 0);
  r.dit_forwards_expected = f.integer_or("dit_forwards_expected", 0);
}

void read_combination(const JsonFields& f, LedgerRecord& r) {
  r.combination = f.string("combination");
  r.stage = f.string_or("stage", r.combination);
  if (f.has("strategies")) r.strategies = f.string_map("strategies");
  r.tier = f.string_or("tier", "A");
  f.check(r.tier == "A" || r.tier == "B", "tier", "\"A\" or \"B\"", r.tier);
  const std::string status = f.string("status");
  if (status == "ok") r.status = RecordStatus::kOk;
  else if (status == "skipped") r.status = RecordStatus::kSkipped;
  else if (status == "error") r.status = RecordStatus::kError;
  else f.check(false, "status", "ok, skipped or error", status);
  r.reason = f.string_or("reason", "");
  r.partition = f.string_or("partition", "");
  r.partition_reference = f.boolean_or("partition_reference", false);
  r.device = f.string_or("device", "");
  if (f.has("adaptive")) {
    const auto a = f.object("adaptive");
    r.adaptive = AdaptiveStop{a.string_or("rule", ""), a.integer_or("max_repetitions", 0), a.integer("stopped_at"),
                              a.integer_or("look", 0), a.integer_or("looks", 0), a.string_or("verdict", ""),
                              a.string_or("reason", "")};
  }
}

std::optional<SampleStats> read_stats(const JsonFields& f) {
  if (!f.has("stats")) return std::nullopt;
  const auto s = f.object("stats");
  SampleStats st;
  st.median = s.number("median");
  st.mean = s.number_or("mean", st.median);
  st.stddev = s.number_or("stddev", 0);
  st.cv = s.number_or("cv", 0);
  st.min = s.number_or("min", st.median);
  st.max = s.number_or("max", st.median);
  st.ci_low = s.number_or("ci_low", st.min);
  st.ci_high = s.number_or("ci_high", st.max);
  return st;
}

std::map<std::string, CollectiveRow> read_collectives(const JsonFields& f) {
  std::map<std::string, CollectiveRow> out;
  if (!f.has("collectives")) return out;
  const auto c = f.object("collectives");
  for (const auto& [name, _] : c.json().items()) {
    const auto row = c.object(name);
    CollectiveRow cr;
    cr.calls = row.integer_or("calls", 0);
    cr.bytes = row.integer_or("bytes", 0);
    cr.ms = row.number_or("ms", 0);
    cr.share = row.optional_number("share");
    cr.algbw_gbps = row.optional_number("algbw_gbps");
    cr.busbw_gbps = row.optional_number("busbw_gbps");
    out[name] = cr;
  }
  return out;
}

// ClockWindow::to_json's object back (a record of the ledger's "gpu_clocks")
ClockWindow read_clock_window(const JsonFields& w) {
  ClockWindow c;
  c.samples = w.integer("samples");
  const auto sm = w.object("sm_mhz");
  c.sm_mhz_min = sm.number("min");
  c.sm_mhz_mean = sm.number("mean");
  c.sm_mhz_max = sm.number("max");
  c.sm_mhz_rated = sm.number_or("rated", 0);
  c.clock_samples = sm.integer_or("samples", c.samples);
  c.busy = sm.boolean_or("busy", true);
  if (w.has("power_w")) {
    const auto p = w.object("power_w");
    c.power_w_mean = p.number("mean");
    c.power_w_max = p.number("max");
  }
  c.temperature_c_max = w.integer_or("temperature_c_max", -1);
  const auto names = w.has("reasons") ? w.strings("reasons") : std::vector<std::string>{};
  for (const auto& name : names) {
    const auto bits = clock_event_reason_bits(name);
    if (!bits) {
      std::string valid;
      for (const auto& [bit, known] : clock_event_reasons()) valid += known + ", ";
      w.check(false, "reasons", "NVML clocks event reasons (" + valid + "or a hex mask such as 0x1000)", name);
    }
    c.reasons |= *bits;
  }
  if (w.has("reason_share")) c.reason_share = w.number_map("reason_share");
  return c;
}

std::vector<ClockWindow> read_clock_windows(const JsonFields& f) {
  std::vector<ClockWindow> out;
  if (!f.has("gpu_clocks")) return out;
  const nlohmann::json& list = f.json()["gpu_clocks"];
  f.check(list.is_array(), "gpu_clocks", "a list of GPU clock windows (one per repetition)", list);
  for (size_t k = 0; k < list.size(); ++k)
    out.push_back(read_clock_window(JsonFields(list[k], f.path("gpu_clocks") + "[" + std::to_string(k) + "]")));
  return out;
}

void read_measurements(const JsonFields& f, LedgerRecord& r) {
  r.samples_ms = f.numbers("samples_ms");
  if (f.has("generate_samples_ms")) r.generate_samples_ms = f.numbers("generate_samples_ms");
  r.cold_ms = f.optional_number("cold_ms");
  r.build_ms = f.number_or("build_ms", 0);
  r.install_ms = f.number_or("install_ms", 0);
  r.stats = read_stats(f);
  if (f.has("phases_ms")) r.phases_ms = f.number_map("phases_ms");
  r.collectives = read_collectives(f);
  r.nccl_ms = f.number_or("nccl_ms", 0);
  if (f.has("syncs")) {
    const auto s = f.object("syncs");
    r.syncs = SyncCounts{s.integer_or("total", 0), s.integer_or("dit", 0), s.integer_or("host_metadata", 0),
                         s.optional_integer("cuda_sync_debug")};
  }
  if (f.has("peak_memory_bytes"))
    r.peak_memory_bytes = f.json()["peak_memory_bytes"].is_number() ? std::vector<int64_t>{f.integer("peak_memory_bytes")}
                                                                   : f.integers("peak_memory_bytes");
  r.dit_forwards = f.integer_or("dit_forwards", 0);
  r.md5 = f.string_or("md5", "");
  r.md5_stable = f.boolean_or("md5_stable", true);
  r.hash_chain_head = f.string_or("hash_chain_head", "");
  if (f.has("request_md5s")) r.request_md5s = f.strings("request_md5s");
  if (f.has("rank_latent_md5s")) r.rank_latent_md5s = f.strings("rank_latent_md5s");
  if (f.has("latency_ms")) r.latency_ms = f.number_map("latency_ms");
  r.gpu_clocks = read_clock_windows(f);
  r.counters = object_or_empty(f, "counters");
}

void read_gate(const JsonFields& f, LedgerRecord& r) {
  r.gate.reference = f.string_or("reference", "");
  r.gate.md5_ok = f.optional_boolean("md5_ok");
  if (f.has("first_divergence")) {
    const auto d = f.object("first_divergence");
    r.gate.first_divergence = std::make_pair(d.integer("chunk"), d.integer("step"));
  }
  r.gate.psnr_db = f.optional_number("psnr_db");
  r.gate.max_abs_u8 = f.optional_integer("max_abs_u8");
  r.gate.min_frame_psnr_db = f.optional_number("min_frame_psnr_db");
  r.gate.latent_rel_l2 = f.optional_number("latent_rel_l2");
  if (f.has("bound")) {
    const auto b = f.object("bound");
    r.gate.bound = GateFindings::Bound{b.number("min_psnr_db"), b.integer("max_abs_u8"), b.boolean("within")};
    // ablate.ledger/3
    if (auto v = b.optional_number("min_frame_psnr_db")) r.gate.bound->min_frame_psnr_db = *v;
    if (auto v = b.optional_number("max_latent_rel_l2")) r.gate.bound->max_latent_rel_l2 = *v;
  }
  r.gate.failing_request = f.optional_integer("failing_request");
  if (r.rank_latent_md5s.size() > 1)
    r.gate.ranks_agree = std::all_of(r.rank_latent_md5s.begin(), r.rank_latent_md5s.end(),
                                     [&](const std::string& m) { return m == r.rank_latent_md5s.front(); });
  r.validity = f.string_or("validity", "");
  if (f.has("invalid_reasons")) r.invalid_reasons = f.strings("invalid_reasons");
  if (f.has("warnings")) r.warnings = f.strings("warnings");
}

}  // namespace

LedgerRecord LedgerRecord::from_json(const nlohmann::json& j, const std::string& where) {
  const JsonFields f(j, where);
  LedgerRecord r;
  read_run(f, r);
  read_combination(f, r);
  if (r.status != RecordStatus::kOk) return r;
  read_measurements(f, r);
  read_gate(f, r);
  return r;
}

}  // namespace ablate
