// Precompiled header for every target that includes LibTorch (keeps the -j2 build fast).
#pragma once
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
