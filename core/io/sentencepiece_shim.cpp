// SentencePiece helper library: the C interface of sentencepiece_shim.h over libsentencepiece and
// its trainer. Built as its own shared object (not part of ablate_core); only the ablate_spm_*
// functions are visible.
#include "core/io/sentencepiece_shim.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

void set_error(char* err, size_t err_size, const std::string& message) {
  if (err != nullptr && err_size > 0) std::snprintf(err, err_size, "%s", message.c_str());
}

}  // namespace

#define ABLATE_SPM_EXPORT extern "C" __attribute__((visibility("default")))

ABLATE_SPM_EXPORT int ablate_spm_abi_version() { return kAblateSpmAbiVersion; }

ABLATE_SPM_EXPORT void* ablate_spm_load(const char* path, char* err, size_t err_size) {
  try {
    auto* model = new sentencepiece::SentencePieceProcessor();
    const auto status = model->Load(path);
    if (!status.ok()) {
      set_error(err, err_size, status.ToString());
      delete model;
      return nullptr;
    }
    return model;
  } catch (const std::exception& e) {
    set_error(err, err_size, e.what());
    return nullptr;
  }
}

ABLATE_SPM_EXPORT void ablate_spm_free(void* model) { delete static_cast<sentencepiece::SentencePieceProcessor*>(model); }

ABLATE_SPM_EXPORT int ablate_spm_piece_size(const void* model) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(model)->GetPieceSize();
}

ABLATE_SPM_EXPORT int ablate_spm_piece_to_id(const void* model, const char* piece, size_t piece_size) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(model)->PieceToId(std::string(piece, piece_size));
}

ABLATE_SPM_EXPORT long ablate_spm_encode(const void* model, const char* text, size_t text_size, int* ids,
                                         size_t capacity, char* err, size_t err_size) {
  try {
    std::vector<int> out;
    const auto status =
        static_cast<const sentencepiece::SentencePieceProcessor*>(model)->Encode(std::string(text, text_size), &out);
    if (!status.ok()) {
      set_error(err, err_size, status.ToString());
      return -1;
    }
    for (size_t i = 0; i < out.size() && i < capacity; ++i) ids[i] = out[i];
    return static_cast<long>(out.size());
  } catch (const std::exception& e) {
    set_error(err, err_size, e.what());
    return -1;
  }
}

ABLATE_SPM_EXPORT int ablate_spm_train(const char* args, char* err, size_t err_size) {
  try {
    const auto status = sentencepiece::SentencePieceTrainer::Train(args);
    if (!status.ok()) {
      set_error(err, err_size, status.ToString());
      return -1;
    }
    return 0;
  } catch (const std::exception& e) {
    set_error(err, err_size, e.what());
    return -1;
  }
}
