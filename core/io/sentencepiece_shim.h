// The C interface of the SentencePiece helper library (core/io/sentencepiece_shim.cpp, built as a
// separate shared object). Debian's libsentencepiece exports its own copy of protobuf-lite, which
// breaks LibTorch's libprotobuf when both share the global symbol scope (a crash in libprotobuf's
// start-up). So the process never links libsentencepiece: sentencepiece_tokenizer.cpp loads this
// helper with dlopen(RTLD_LOCAL | RTLD_DEEPBIND), and only plain C data crosses the boundary.
#pragma once
#include <cstddef>

extern "C" {

/// Bumped when a signature below changes.
constexpr int kAblateSpmAbiVersion = 1;

using AblateSpmAbiVersionFn = int (*)();
/// Loads a model; null on failure with the reason in err (NUL-terminated, at most err_size bytes).
using AblateSpmLoadFn = void* (*)(const char* path, char* err, size_t err_size);
using AblateSpmFreeFn = void (*)(void* model);
using AblateSpmPieceSizeFn = int (*)(const void* model);
/// The id of a piece (the unknown id when the model has no such piece).
using AblateSpmPieceToIdFn = int (*)(const void* model, const char* piece, size_t piece_size);
/// Encodes UTF-8 text; writes min(count, capacity) ids and returns count, or -1 with err set.
using AblateSpmEncodeFn = long (*)(const void* model, const char* text, size_t text_size, int* ids,
                                   size_t capacity, char* err, size_t err_size);
/// SentencePieceTrainer::Train with command-line style args; 0 on success, -1 with err set.
using AblateSpmTrainFn = int (*)(const char* args, char* err, size_t err_size);

}  // extern "C"
