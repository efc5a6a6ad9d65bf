# Finds every dependency once and records what kind of build this is (CPU or CUDA LibTorch).
find_package(Torch REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(Threads REQUIRED)

# CUDA build = the LibTorch found was built with CUDA (PyTorch's on the GPU machine).
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  set(ABLATE_CUDA ON)
else()
  set(ABLATE_CUDA OFF)
endif()
message(STATUS "ablate: LibTorch ${Torch_VERSION}, CUDA build: ${ABLATE_CUDA}")

# Gloo headers: Debian's libgloo-dev on the CPU machine; PyTorch's wheel ships none.
find_path(ABLATE_GLOO_INCLUDE_DIR gloo/config.h)
find_library(ABLATE_GLOO_LIBRARY gloo)
if(ABLATE_GLOO_INCLUDE_DIR AND ABLATE_GLOO_LIBRARY)
  set(ABLATE_GLOO ON)
else()
  set(ABLATE_GLOO OFF)
endif()
message(STATUS "ablate: Gloo backend: ${ABLATE_GLOO}")

# Image decoders for --image (Debian: libpng-dev, libjpeg62-turbo-dev). Optional: without them the
# image reader throws a UsageError naming the missing library and its tests skip.
find_package(PNG QUIET)
find_package(JPEG QUIET)
message(STATUS "ablate: PNG decoder (libpng): ${PNG_FOUND}, JPEG decoder (libjpeg): ${JPEG_FOUND}")

# NVTX3 is header-only; it ships with the CUDA toolkit.
set(ABLATE_NVTX OFF)
if(ABLATE_ENABLE_NVTX)
  find_path(ABLATE_NVTX3_DIR nvtx3/nvToolsExt.h
            HINTS ${ABLATE_NVTX_INCLUDE_DIR} /usr/local/cuda/include ${CUDAToolkit_INCLUDE_DIRS} ${CUDA_INCLUDE_DIRS})
  if(ABLATE_NVTX3_DIR)
    set(ABLATE_NVTX ON)
  else()
    message(WARNING "ablate: ABLATE_ENABLE_NVTX is ON but no nvtx3/ headers were found; NVTX ranges are compiled out.")
  endif()
endif()
message(STATUS "ablate: NVTX ranges: ${ABLATE_NVTX}")

# LibTorch's flags (for example -D_GLIBCXX_USE_CXX11_ABI) must reach every target that includes it.
function(ablate_torch_target target)
  target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(ABLATE_CUDA)
    target_compile_definitions(${target} PUBLIC ABLATE_CUDA=1)
  endif()
endfunction()
