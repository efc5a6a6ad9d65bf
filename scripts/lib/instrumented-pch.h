// The precompiled header of scripts/lib/instrumented-build.sh: LibTorch and nlohmann/json, which
// every instrumented file includes (one parse of them instead of one per file).
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>
