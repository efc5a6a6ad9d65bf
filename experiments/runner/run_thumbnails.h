// Thumbnails a run writes beside its ledger, for the report to embed: in `dir` (<out>/thumbnails),
// the baseline combination's contact sheet (every 8th frame of request 0), for each other
// combination whose request-0 video differs from the reference's a heat map of |difference|, and
// index.json ([{file, combination, caption}]) naming them.
#pragma once
#include <ostream>
#include <string>

#include "experiments/gate/gate.h"

namespace ablate {

/// `output.video_u8` [F, H, W, 3] uint8 (request 0) of `combination`; `is_baseline`: it is the
/// run's baseline combination. A thumbnail that cannot be made is a warning on `warnings`, never a
/// failed run. Returns the file written ("" when none: same video, no reference, other shape).
std::string write_run_thumbnails(const std::string& dir, const std::string& combination, bool is_baseline,
                                 const GateCandidate& output, const GateReference& reference, std::ostream& warnings);

/// A file-name stem for a combination id: letters, digits and = + - . kept, the rest '_'.
std::string thumbnail_file_stem(const std::string& combination);

}  // namespace ablate
