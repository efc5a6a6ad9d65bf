// The command line this process was started with, recorded with results so a journal entry can
// quote the exact command.
#pragma once
#include <string>

namespace ablate {

void set_invocation(int argc, char** argv);
const std::string& invocation();  // "ablate run --matrix ..." ("" when not set)

}  // namespace ablate
