// NVTX injection library for tests: loaded by any NVTX3 client through NVTX_INJECTION64_PATH, it
// records the range tree of the "ablate" domain (names, int payloads, nesting per thread) and
// writes it at process exit to the file named by ABLATE_NVTX_TREE_OUT ("%r" = RANK). One line per range, two
// spaces per level, `name[index]` when the range carries an integer payload; a name that came as
// an ASCII message instead of a registered string ends in " (ascii)". The first line counts the
// ways names arrived, so a test can check that the registered-string path is the one used.
#define NVTX_NO_IMPL  // a tool: the types and ids only, not the client's loader
#include <nvtx3/nvToolsExt.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace ablate::nvtx_tree {
namespace {

constexpr const char* kDomain = "ablate";

struct DomainRec {
  std::string name;
};

struct StringRec {
  std::string text;
};

struct Node {
  std::string name;
  bool has_index = false;
  int64_t index = 0;
  bool ascii = false;         // name given as a plain message, not a registered string
  bool start_end = false;     // a start/end range (not nested by push/pop)
  std::vector<size_t> children;
};

struct Tree {
  std::mutex mutex;
  std::deque<DomainRec> domains;  // deque: handles (addresses) stay valid as it grows
  std::deque<StringRec> strings;
  std::deque<Node> nodes;
  std::vector<size_t> roots;
  uint64_t next_range_id = 1;
  int64_t registered_strings = 0, registered_names = 0, ascii_names = 0, other_events = 0, unbalanced_pops = 0;

  ~Tree() { write(); }
  void write();
};

Tree& tree() {
  static Tree t;
  return t;
}

thread_local std::vector<size_t> open_ranges;  // push/pop stack of this thread, "ablate" domain only

bool is_ablate(nvtxDomainHandle_t domain) {
  return domain != nullptr && reinterpret_cast<const DomainRec*>(domain)->name == kDomain;
}

// Appends a node under this thread's innermost open range (or as a root) and returns its id.
size_t add_node(const nvtxEventAttributes_t* attr, bool start_end) {
  Tree& t = tree();
  Node n;
  n.start_end = start_end;
  switch (attr ? attr->messageType : NVTX_MESSAGE_UNKNOWN) {
    case NVTX_MESSAGE_TYPE_REGISTERED:
      n.name = reinterpret_cast<const StringRec*>(attr->message.registered)->text;
      ++t.registered_names;
      break;
    case NVTX_MESSAGE_TYPE_ASCII:
      n.name = attr->message.ascii ? attr->message.ascii : "";
      n.ascii = true;
      ++t.ascii_names;
      break;
    default:
      n.name = "(unnamed)";
      break;
  }
  if (attr) {
    switch (attr->payloadType) {
      case NVTX_PAYLOAD_TYPE_INT64: n.has_index = true; n.index = attr->payload.llValue; break;
      case NVTX_PAYLOAD_TYPE_INT32: n.has_index = true; n.index = attr->payload.iValue; break;
      case NVTX_PAYLOAD_TYPE_UNSIGNED_INT64: n.has_index = true; n.index = static_cast<int64_t>(attr->payload.ullValue); break;
      case NVTX_PAYLOAD_TYPE_UNSIGNED_INT32: n.has_index = true; n.index = attr->payload.uiValue; break;
      default: break;
    }
  }
  t.nodes.push_back(std::move(n));
  const size_t id = t.nodes.size() - 1;
  if (open_ranges.empty()) {
    t.roots.push_back(id);
  } else {
    t.nodes[open_ranges.back()].children.push_back(id);
  }
  return id;
}

void write_node(std::ostream& os, const Tree& t, size_t id, int depth) {
  const Node& n = t.nodes[id];
  os << std::string(2 * depth, ' ') << n.name;
  if (n.has_index) os << '[' << n.index << ']';
  if (n.ascii) os << " (ascii)";
  if (n.start_end) os << " (start/end)";
  os << '\n';
  for (size_t c : n.children) write_node(os, t, c, depth + 1);
}

void Tree::write() {
  const char* out = std::getenv("ABLATE_NVTX_TREE_OUT");
  if (!out || !*out) {
    std::fprintf(stderr, "nvtx_tree: ABLATE_NVTX_TREE_OUT is not set; the tree is not written\n");
    return;
  }
  // "%r" becomes the torchrun RANK, so the ranks of one launch write one file each
  std::string path_s = out;
  const char* rank = std::getenv("RANK");
  for (size_t at; (at = path_s.find("%r")) != std::string::npos;) path_s.replace(at, 2, rank ? rank : "0");
  const char* path = path_s.c_str();
  std::lock_guard<std::mutex> lock(mutex);
  std::ofstream os(path);
  os << "# nvtx tree of domain \"" << kDomain << "\": registered_strings=" << registered_strings
     << " registered_names=" << registered_names << " ascii_names=" << ascii_names
     << " other_events=" << other_events << " unbalanced_pops=" << unbalanced_pops << '\n';
  for (size_t r : roots) write_node(os, *this, r, 0);
  if (!os.good()) std::fprintf(stderr, "nvtx_tree: writing %s failed\n", path);
}

// ---- the NVTX entry points this tool implements ----

nvtxDomainHandle_t NVTX_API domain_create_a(const char* name) {
  Tree& t = tree();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.domains.push_back({name ? name : ""});
  return reinterpret_cast<nvtxDomainHandle_t>(&t.domains.back());
}

nvtxStringHandle_t NVTX_API domain_register_string_a(nvtxDomainHandle_t domain, const char* text) {
  Tree& t = tree();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (is_ablate(domain)) ++t.registered_strings;
  t.strings.push_back({text ? text : ""});
  return reinterpret_cast<nvtxStringHandle_t>(&t.strings.back());
}

int NVTX_API domain_range_push_ex(nvtxDomainHandle_t domain, const nvtxEventAttributes_t* attr) {
  Tree& t = tree();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (!is_ablate(domain)) {
    ++t.other_events;
    return 0;
  }
  open_ranges.push_back(add_node(attr, false));
  return static_cast<int>(open_ranges.size()) - 1;
}

int NVTX_API domain_range_pop(nvtxDomainHandle_t domain) {
  Tree& t = tree();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (!is_ablate(domain)) return 0;
  if (open_ranges.empty()) {
    ++t.unbalanced_pops;
    return -1;
  }
  open_ranges.pop_back();
  return static_cast<int>(open_ranges.size());
}

nvtxRangeId_t NVTX_API domain_range_start_ex(nvtxDomainHandle_t domain, const nvtxEventAttributes_t* attr) {
  Tree& t = tree();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (!is_ablate(domain)) {
    ++t.other_events;
    return 0;
  }
  add_node(attr, true);
  return t.next_range_id++;
}

void NVTX_API domain_range_end(nvtxDomainHandle_t, nvtxRangeId_t) {}  // start/end ranges are kept as points in the tree

// Default-domain (non-"ablate") calls are only counted: the tree is of one domain.
int NVTX_API range_push_a(const char*) {
  std::lock_guard<std::mutex> lock(tree().mutex);
  ++tree().other_events;
  return 0;
}
int NVTX_API range_push_ex(const nvtxEventAttributes_t*) { return range_push_a(nullptr); }
int NVTX_API range_pop() { return 0; }
nvtxRangeId_t NVTX_API range_start_ex(const nvtxEventAttributes_t*) { return range_push_a(nullptr); }
nvtxRangeId_t NVTX_API range_start_a(const char*) { return range_push_a(nullptr); }
void NVTX_API range_end(nvtxRangeId_t) {}

template <typename F>
void set_entry(NvtxFunctionTable table, unsigned int size, unsigned int cbid, F fn) {
  if (table && cbid < size && table[cbid]) *table[cbid] = reinterpret_cast<NvtxFunctionPointer>(fn);
}

}  // namespace
}  // namespace ablate::nvtx_tree

// The entry point NVTX3 clients look up in the library named by NVTX_INJECTION64_PATH. Returns
// nonzero on success; the client then calls the pointers set here instead of its no-op stubs.
extern "C" __attribute__((visibility("default"))) int InitializeInjectionNvtx2(NvtxGetExportTableFunc_t get_table) {
  using namespace ablate::nvtx_tree;
  const auto* callbacks = static_cast<const NvtxExportTableCallbacks*>(get_table(NVTX_ETID_CALLBACKS));
  if (!callbacks || !callbacks->GetModuleFunctionTable) return 0;
  NvtxFunctionTable core = nullptr, core2 = nullptr;
  unsigned int core_size = 0, core2_size = 0;
  if (!callbacks->GetModuleFunctionTable(NVTX_CB_MODULE_CORE, &core, &core_size) ||
      !callbacks->GetModuleFunctionTable(NVTX_CB_MODULE_CORE2, &core2, &core2_size))
    return 0;
  set_entry(core, core_size, NVTX_CBID_CORE_RangePushA, range_push_a);
  set_entry(core, core_size, NVTX_CBID_CORE_RangePushEx, range_push_ex);
  set_entry(core, core_size, NVTX_CBID_CORE_RangePop, range_pop);
  set_entry(core, core_size, NVTX_CBID_CORE_RangeStartA, range_start_a);
  set_entry(core, core_size, NVTX_CBID_CORE_RangeStartEx, range_start_ex);
  set_entry(core, core_size, NVTX_CBID_CORE_RangeEnd, range_end);
  set_entry(core2, core2_size, NVTX_CBID_CORE2_DomainCreateA, domain_create_a);
  set_entry(core2, core2_size, NVTX_CBID_CORE2_DomainRegisterStringA, domain_register_string_a);
  set_entry(core2, core2_size, NVTX_CBID_CORE2_DomainRangePushEx, domain_range_push_ex);
  set_entry(core2, core2_size, NVTX_CBID_CORE2_DomainRangePop, domain_range_pop);
  set_entry(core2, core2_size, NVTX_CBID_CORE2_DomainRangeStartEx, domain_range_start_ex);
  set_entry(core2, core2_size, NVTX_CBID_CORE2_DomainRangeEnd, domain_range_end);
  tree();  // constructed now; its destructor writes the file when the process exits
  return 1;
}
