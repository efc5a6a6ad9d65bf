# ablate_experiments_library(<name> DEPS <targets...>): a static library of one experiments/
# folder: every *.cpp there (the *_cuda.cpp ones only in a CUDA build), LibTorch's flags and the
# precompiled header shared with ablate_core.
function(ablate_experiments_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(REMOVE_ITEM sources ${CMAKE_CURRENT_SOURCE_DIR}/main.cpp)
  if(NOT ABLATE_CUDA)
    list(FILTER sources EXCLUDE REGEX ".*_cuda\\.cpp$")
  endif()
  add_library(ablate_${name} STATIC ${sources})
  add_library(ablate::${name} ALIAS ablate_${name})
  target_include_directories(ablate_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  ablate_torch_target(ablate_${name})
  target_link_libraries(ablate_${name} PUBLIC ${ARG_DEPS})
  if(ABLATE_USE_PCH)
    target_precompile_headers(ablate_${name} REUSE_FROM ablate_core)
  endif()
  ablate_harness_optimization(ablate_${name})
endfunction()

# ablate_harness_optimization(<target>): -O1 in Release for the harness's own code (the CLI, the
# runner, reports, search, tests; ablate_stats keeps -O3 for its simulations). It runs around
# generate() (inside it only observers that queue tensor copies) and computes no video's bits,
# and -O1 compiles ~30 % faster than -O3
# (the PCH stays valid: __OPTIMIZE__ is defined either way). core/, optimizations/ and profiling/
# (the timers, NVTX) keep the build type's flags.
function(ablate_harness_optimization target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:-O1>)
  endif()
endfunction()
