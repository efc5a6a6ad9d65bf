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

# The hand-written kernels (optimizations/kernels/*.cu) need nvcc. A CUDA build without it leaves
# them out, and the strategies that use them say so (validate) or run their tensor-op path.
set(ABLATE_CUDA_KERNELS OFF)
if(ABLATE_CUDA)
  if(NOT CMAKE_CUDA_COMPILER AND CUDAToolkit_NVCC_EXECUTABLE)
    set(CMAKE_CUDA_COMPILER ${CUDAToolkit_NVCC_EXECUTABLE})
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)  # A100 and H100/H200
    endif()
    enable_language(CUDA)
    set(ABLATE_CUDA_KERNELS ON)
  endif()
endif()
message(STATUS "ablate: hand-written CUDA kernels: ${ABLATE_CUDA_KERNELS}")

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

# Optional output/tokenizer libraries (Debian: libsentencepiece-dev, libav{codec,format,util}-dev,
# libswscale-dev, libpng-dev). A build without one compiles the feature as a stub that throws a
# UsageError naming the missing library. Only the files that use them see their headers and the
# ABLATE_HAVE_<X> definitions (ablate_media_sources), so the rest of the build keeps its flags and
# its compiler cache; ablate_core links the libraries (ABLATE_MEDIA_LIBRARIES), except
# libsentencepiece, which it loads through a helper library.
set(ABLATE_MEDIA_DEFINITIONS "")
set(ABLATE_MEDIA_INCLUDE_DIRS "")
set(ABLATE_MEDIA_LIBRARIES "")
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(ABLATE_SENTENCEPIECE QUIET sentencepiece)
  pkg_check_modules(ABLATE_FFMPEG QUIET libavformat libavcodec libswscale libavutil)
endif()
# libsentencepiece is linked only into a helper library (core/CMakeLists.txt, core/io/sentencepiece_shim.h)
if(ABLATE_FFMPEG_FOUND)
  list(APPEND ABLATE_MEDIA_DEFINITIONS ABLATE_HAVE_FFMPEG=1)
  list(APPEND ABLATE_MEDIA_INCLUDE_DIRS ${ABLATE_FFMPEG_INCLUDE_DIRS})
  list(APPEND ABLATE_MEDIA_LIBRARIES ${ABLATE_FFMPEG_LINK_LIBRARIES})
endif()
if(PNG_FOUND)
  list(APPEND ABLATE_MEDIA_DEFINITIONS ABLATE_HAVE_PNG=1)
  list(APPEND ABLATE_MEDIA_INCLUDE_DIRS ${PNG_INCLUDE_DIRS})
  list(APPEND ABLATE_MEDIA_LIBRARIES ${PNG_LIBRARIES})
endif()
# the compiler's own folders (e.g. /usr/include/x86_64-linux-gnu) must not come first: <cmath>'s
# #include_next would miss math.h
if(ABLATE_MEDIA_INCLUDE_DIRS)
  list(REMOVE_DUPLICATES ABLATE_MEDIA_INCLUDE_DIRS)
  list(REMOVE_ITEM ABLATE_MEDIA_INCLUDE_DIRS ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES})
endif()
message(STATUS "ablate: sentencepiece: ${ABLATE_SENTENCEPIECE_FOUND}, FFmpeg: ${ABLATE_FFMPEG_FOUND}, libpng: ${PNG_FOUND}")

# ablate_media_sources(<file>...): compiles these files (of the calling folder's targets) with the
# optional libraries' headers and ABLATE_HAVE_<X> definitions.
function(ablate_media_sources)
  set_source_files_properties(${ARGN} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON COMPILE_DEFINITIONS "${ABLATE_MEDIA_DEFINITIONS}"
                                                 INCLUDE_DIRECTORIES "${ABLATE_MEDIA_INCLUDE_DIRS}")
endfunction()
