// SentencePieceTokenizer: load the helper library, load and check the model file, clean, encode,
// eos, truncate, pad.
#include "core/io/sentencepiece_tokenizer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/io/prompt_clean.h"

#ifdef ABLATE_HAVE_SENTENCEPIECE
#include <dlfcn.h>

#include "core/io/sentencepiece_shim.h"
#endif

namespace ablate::io {

#ifdef ABLATE_HAVE_SENTENCEPIECE

namespace {

// The helper library's functions, loaded once per process.
struct Shim {
  AblateSpmLoadFn load = nullptr;
  AblateSpmFreeFn free = nullptr;
  AblateSpmPieceSizeFn piece_size = nullptr;
  AblateSpmPieceToIdFn piece_to_id = nullptr;
  AblateSpmEncodeFn encode = nullptr;
  AblateSpmTrainFn train = nullptr;
  std::string error;  // why it did not load ("" when it did)
};

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& fn, std::string& error) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (fn == nullptr) error = std::string("symbol ") + name + " missing";
  return fn != nullptr;
}

const Shim& shim() {
  static const Shim loaded = [] {
    Shim s;
    // RTLD_DEEPBIND: libsentencepiece binds to its own protobuf-lite, not LibTorch's libprotobuf;
    // RTLD_LOCAL: its symbols stay out of the global scope.
    void* handle = dlopen(ABLATE_SENTENCEPIECE_SHIM, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (handle == nullptr) {
      s.error = std::string("cannot load the SentencePiece helper library: ") + dlerror();
      return s;
    }
    AblateSpmAbiVersionFn version = nullptr;
    if (!resolve(handle, "ablate_spm_abi_version", version, s.error)) return s;
    if (version() != kAblateSpmAbiVersion) {
      s.error = std::string("the SentencePiece helper library ") + ABLATE_SENTENCEPIECE_SHIM +
                " is from another build (interface version " + std::to_string(version()) + ")";
      return s;
    }
    if (resolve(handle, "ablate_spm_load", s.load, s.error) && resolve(handle, "ablate_spm_free", s.free, s.error) &&
        resolve(handle, "ablate_spm_piece_size", s.piece_size, s.error) &&
        resolve(handle, "ablate_spm_piece_to_id", s.piece_to_id, s.error) &&
        resolve(handle, "ablate_spm_encode", s.encode, s.error) && resolve(handle, "ablate_spm_train", s.train, s.error)) {
      s.error.clear();
    }
    return s;  // the handle stays open for the process's lifetime
  }();
  return loaded;
}

const Shim& checked_shim(const std::string& what) {
  const Shim& s = shim();
  ABLATE_USAGE_CHECK(s.error.empty(), what, ": ", s.error);
  return s;
}

// Missing or unreadable files get the system's reason; SentencePiece's own message for those
// does not name the path the user gave.
void check_readable(const std::string& path) {
  struct stat st {};
  ABLATE_USAGE_CHECK(stat(path.c_str(), &st) == 0, "tokenizer file '", path, "': ", std::strerror(errno));
  ABLATE_USAGE_CHECK(S_ISREG(st.st_mode), "tokenizer file '", path, "' is not a regular file");
  std::ifstream in(path, std::ios::binary);
  ABLATE_USAGE_CHECK(in.good(), "tokenizer file '", path, "' cannot be read: ", std::strerror(errno));
}

int piece_id(const Shim& s, const void* model, const std::string& piece) {
  return s.piece_to_id(model, piece.data(), piece.size());
}

}  // namespace

struct SentencePieceTokenizer::Model {
  void* handle = nullptr;
  ~Model() {
    if (handle != nullptr) shim().free(handle);
  }
};

bool sentencepiece_available() { return shim().error.empty(); }

void train_sentencepiece_model(const std::string& args) {
  const Shim& s = checked_shim("SentencePiece training");
  char err[1024] = {};
  ABLATE_USAGE_CHECK(s.train(args.c_str(), err, sizeof(err)) == 0, "SentencePiece training failed: ", err);
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path, int64_t text_len)
    : path_(model_path), text_len_(text_len) {
  ABLATE_USAGE_CHECK(text_len >= 1, "tokenizer text_len must be >= 1, got ", text_len);
  const Shim& s = checked_shim("--tokenizer '" + model_path + "'");
  check_readable(model_path);
  auto model = std::make_shared<Model>();
  char err[1024] = {};
  model->handle = s.load(model_path.c_str(), err, sizeof(err));
  ABLATE_USAGE_CHECK(model->handle != nullptr, "tokenizer file '", model_path, "' is not a SentencePiece model (",
                     err, ")");
  // The reference appends HF's eos_token "</s>" and pads with "<pad>"; this tokenizer writes ids
  // 1 and 0 for them, which is right only when the model says so (T5's spiece.model does).
  const int eos = piece_id(s, model->handle, "</s>");
  const int pad = piece_id(s, model->handle, "<pad>");
  ABLATE_USAGE_CHECK(eos == text::kEosId && pad == text::kPadId, "tokenizer file '", model_path,
                     "': expected a T5-style SentencePiece model with \"</s>\" = id ", text::kEosId,
                     " and \"<pad>\" = id ", text::kPadId, ", but found \"</s>\" = id ", eos,
                     " and \"<pad>\" = id ", pad);
  model_ = std::move(model);
}

std::vector<int64_t> SentencePieceTokenizer::encode_cleaned(const std::string& cleaned) const {
  const Shim& s = shim();
  std::vector<int> ids(cleaned.size() + 16);
  char err[1024] = {};
  for (int attempt = 0; attempt < 2; ++attempt) {
    const long n = s.encode(model_->handle, cleaned.data(), cleaned.size(), ids.data(), ids.size(), err, sizeof(err));
    TORCH_CHECK(n >= 0, "SentencePiece encode with '", path_, "' failed: ", err);
    if (static_cast<size_t>(n) <= ids.size()) return std::vector<int64_t>(ids.begin(), ids.begin() + n);
    ids.resize(static_cast<size_t>(n));  // normalization made more pieces than bytes: once more
  }
  TORCH_CHECK(false, "SentencePiece encode with '", path_, "' gave a different length on a second call");
}

int64_t SentencePieceTokenizer::vocab_size() const { return shim().piece_size(model_->handle); }

#else  // !ABLATE_HAVE_SENTENCEPIECE

struct SentencePieceTokenizer::Model {};

bool sentencepiece_available() { return false; }

void train_sentencepiece_model(const std::string&) {
  throw UsageError("SentencePiece training: this build has no libsentencepiece (install libsentencepiece-dev and "
                   "rebuild)");
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path, int64_t text_len)
    : path_(model_path), text_len_(text_len) {
  throw UsageError("--tokenizer '" + model_path +
                   "': this build has no libsentencepiece (install libsentencepiece-dev and rebuild)");
}

std::vector<int64_t> SentencePieceTokenizer::encode_cleaned(const std::string&) const { return {}; }

int64_t SentencePieceTokenizer::vocab_size() const { return 0; }

#endif  // ABLATE_HAVE_SENTENCEPIECE

text::TokenizedPrompt SentencePieceTokenizer::operator()(const std::string& prompt) const {
  const std::vector<int64_t> pieces = encode_cleaned(clean_prompt(prompt));
  // HF truncation=True with add_special_tokens keeps room for eos: at most text_len - 1 pieces.
  const int64_t kept = std::min<int64_t>(static_cast<int64_t>(pieces.size()), text_len_ - 1);
  auto ids = torch::full({1, text_len_}, text::kPadId, torch::kLong);  // [1, text_len] int64
  auto mask = torch::zeros({1, text_len_}, torch::kLong);              // [1, text_len] int64
  auto ids_a = ids.accessor<int64_t, 2>();
  auto mask_a = mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < kept; ++i) ids_a[0][i] = pieces[static_cast<size_t>(i)];
  ids_a[0][kept] = text::kEosId;
  for (int64_t i = 0; i <= kept; ++i) mask_a[0][i] = 1;
  return text::TokenizedPrompt{ids, mask, kept + 1};
}

text::TokenizeFn SentencePieceTokenizer::as_function() const {
  return [self = *this](const std::string& prompt) { return self(prompt); };
}

}  // namespace ablate::io
