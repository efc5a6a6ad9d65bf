#include "optimizations/cuda_graph.h"

#include <regex>
#include <sstream>

namespace ablate::opt {

#if !defined(ABLATE_CUDA)
std::unique_ptr<ForwardGraphs> make_forward_graphs(torch::Device) { return nullptr; }
#endif

namespace {

void describe(std::ostringstream& os, const char* name, const torch::Tensor& t) {
  os << name << "=";
  if (!t.defined()) {
    os << "none;";
    return;
  }
  os << t.sizes() << ":" << t.scalar_type() << ":" << t.device() << ";";
}

template <typename T>
void describe(std::ostringstream& os, const char* name, const std::optional<T>& v) {
  os << name << "=";
  if (v) {
    os << *v << ";";
  } else {
    os << "none;";
  }
}

}  // namespace

std::string forward_graph_key(const ForwardCall& call) {
  const auto& a = call.args;
  const auto& in = call.inputs;
  std::ostringstream os;
  os << "start=" << a.current_start << ";max_attn=" << a.max_attention_size << ";";
  describe(os, "frame_seqlen", a.frame_seqlen);
  describe(os, "cross_first", a.cross_attn_first_call);
  describe(os, "seq_len", a.seq_len);
  os << "host_kv=" << a.host_kv_indices << ";embed_text=" << a.embed_text
     << ";broadcast_time=" << a.broadcast_time_embedding << ";providers=" << a.provider_phase << ";";
  describe(os, "kv_write_index", a.kv_write_index);
  if (a.kv_write_index.defined()) os << "kv_write_index_at=" << a.kv_write_index.data_ptr() << ";";
  describe(os, "x", in.x);
  describe(os, "t", in.t);
  describe(os, "context", in.context);
  describe(os, "y", in.y);
  describe(os, "plucker", in.plucker);
  if (!call.caches.self.empty()) os << "kv_at=" << call.caches.self.front().k.data_ptr() << ";";
  if (!call.caches.cross.empty()) os << "cross_at=" << call.caches.cross.front().k.data_ptr() << ";";
  return os.str();
}

std::string forward_graph_eager_reason(const ForwardCall& call) {
  const auto& a = call.args;
  if (!a.cross_attn_first_call || *a.cross_attn_first_call) return "fills the cross-attention cache";
  if (!a.frame_seqlen || !a.host_kv_indices) return "reads KV metadata on the host (no sync_elim hints)";
  if (!a.device_time_frequencies) return "copies the time embedding's frequency table from the host (no sync_elim hints)";
  if (call.site.geometry && call.site.geometry->local_attn_size != -1) return "sliding-window KV cache reads its indices";
  return "";
}

std::string capture_failure_message(const ForwardSite& site, const std::string& error, int64_t free_bytes,
                                    int64_t total_bytes, const std::string& allocator_summary) {
  const std::string first_line = error.substr(0, error.find('\n'));
  std::smatch asked;
  const bool oom = std::regex_search(error, asked, std::regex(R"(Tried to allocate ([0-9.]+ [KMGT]?i?B))"));
  auto gib = [](int64_t b) {
    std::ostringstream os;
    os.precision(1);
    os << std::fixed << static_cast<double>(b) / (1024.0 * 1024.0 * 1024.0) << " GiB";
    return os.str();
  };
  std::ostringstream os;
  os << "cuda_graph: capturing the graph of chunk " << site.chunk << "'s " << (site.refresh ? "refresh" : "denoise")
     << " forward failed";
  if (oom) os << ": it asked for " << asked[1].str();
  os << " with " << gib(free_bytes) << " free of " << gib(total_bytes) << " (" << allocator_summary << ")";
  if (!oom) os << ": " << first_line;
  return os.str();
}

CudaGraphStrategy::CudaGraphStrategy() = default;
CudaGraphStrategy::~CudaGraphStrategy() = default;

StrategyInfo CudaGraphStrategy::info() const {
  StrategyInfo i;
  i.name = "cuda_graph";
  i.description = "DiT forward captured as a CUDA graph per chunk and replayed (first forward of a generate eager)";
  i.values = {"off", "on"};
  i.requires_on = {"sync_elim"};
  i.cuda_only = true;
  i.affects_build = true;  // configure() keeps the KV caches across generate() calls
  return i;
}

std::string CudaGraphStrategy::validate(const std::string& value, const RunConfig& config) const {
  if (value == info().values.front()) return "";
  if (!config.device.is_cuda()) return "cuda_graph needs a CUDA device";
  if (!config.is_on("sync_elim")) return "cuda_graph requires sync_elim=on (host syncs cannot be captured)";
  if (config.world_size > 1)
    return "cuda_graph runs in one process only (collectives and parameter gathers are not captured)";
  return Strategy::validate(value, config);
}

void CudaGraphStrategy::configure(const std::string& value, PipelineOptions& options) const {
  if (value == "off") return;
  options.keep_kv_caches = true;  // graphs read and write the caches' storage: keep it across calls
}

void CudaGraphStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  graphs_ = make_forward_graphs(pipeline.options().device);
  if (!graphs_) return;  // not a CUDA device (validate() says why): forwards stay eager
  pipeline.seams().execute_forward = [this](const ForwardCall& call) {
    if (!forward_graph_eager_reason(call).empty()) {
      ++eager_;
      return call.run(call.inputs);
    }
    const void* caches_id = call.caches.self.empty() ? nullptr : call.caches.self.front().k.data_ptr();
    if (caches_id != caches_id_) {  // new KV storage: graphs of the old one must not run again
      if (graphs_->size() > 0) {
        dropped_ += static_cast<int64_t>(graphs_->size());
        graphs_->clear();
      }
      caches_id_ = caches_id;
    }
    bool replayed = false;
    auto v = graphs_->run(call, forward_graph_key(call), replayed);
    ++(replayed ? replays_ : captures_);
    return v;
  };
}

nlohmann::json CudaGraphStrategy::counters() const {
  return {{"captures", captures_},
          {"capture_reserved_mib", graphs_ ? graphs_->capture_reserved_bytes() >> 20 : 0},  // the graphs' memory overhead
          {"replays", replays_},
          {"eager_forwards", eager_},  // without a graph (first forward, not capturable); a capture also runs once eagerly
          {"graphs", graphs_ ? static_cast<int64_t>(graphs_->size()) : 0},
          {"graphs_dropped", dropped_}};
}

ABLATE_DEFINE_STRATEGY(cuda_graph, CudaGraphStrategy)

}  // namespace ablate::opt
