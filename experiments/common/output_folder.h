// The folder a command writes its results to: checked (created, writable) before any work, and
// files written through a temporary and a rename so a failure leaves nothing half-written.
#pragma once
#include <string>

namespace ablate {

// Creates `dir` if needed; UsageError naming `flag` when it cannot be created or written.
void prepare_output_folder(const std::string& dir, const std::string& flag);
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace ablate
