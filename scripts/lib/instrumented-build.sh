# Sourced by scripts/fuzz.sh and scripts/sanitize.sh: a clang-14 build of a few instrumented source
# files (the file readers, the fuzz targets or tests) linked against the uninstrumented libraries of
# a normal g++ build of Ablate (build/ by default, as scripts/build.sh makes it).
#
# Why: an instrumented build of all of Ablate is a second full build (about 50 unity batches with
# LibTorch's headers; far over an hour at -j1 on the shared 2-core machine). Instrumenting only the
# code under test is what libFuzzer needs for coverage and what ASan/UBSan need to check it; the
# rest of Ablate and LibTorch run uninstrumented (ASan still checks every malloc/free and leak).
# The instrumented objects come first on the link line; -Wl,--allow-multiple-definition makes the
# linker keep their definitions over the same functions in the g++ libraries' unity batches.

# ensure_gcc_build DIR JOBS: DIR holds a configured, built g++ build (the `ablate` target) or is made
ensure_gcc_build() {
  local dir="$1" jobs="$2"
  if [ ! -f "$dir/build.ninja" ]; then
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    CCACHE_BASEDIR="$(pwd)" cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
  fi
  CCACHE_BASEDIR="$(pwd)" nice -n 10 cmake --build "$dir" -j"$jobs" --target ablate
}

# gcc_build_flags DIR: the -D/-I/-isystem/-std flags the g++ build compiles ablate_core with
gcc_build_flags() {
  local cmd out=() take=0
  cmd=$(ninja -C "$1" -t commands ablate_core | grep -m1 -E ' -c [^ ]*ablate_core[^ ]*\.(cxx|cpp)$')
  for tok in $cmd; do
    if [ "$take" = 1 ]; then out+=("$tok"); take=0; continue; fi
    case "$tok" in
      -isystem) out+=("$tok"); take=1 ;;
      -DNDEBUG) ;;  # asserts on in the instrumented files
      -D*|-I*|-std=*) out+=("$tok") ;;
    esac
  done
  echo "${out[*]}"
}

# gcc_build_link_libs DIR: what the g++ build links `ablate` with, less the CLI (absolute paths)
gcc_build_link_libs() {
  local dir cmd out=() after=0
  dir=$(cd "$1" && pwd)
  cmd=$(ninja -C "$1" -t commands ablate | tail -1)
  for tok in $cmd; do
    if [ "$after" = 0 ]; then [ "$tok" = "experiments/ablate" ] && after=1; continue; fi
    case "$tok" in
      "&&"|":") ;;
      *libablate_cli.a) ;;
      /*|-*) out+=("$tok") ;;
      *) out+=("$dir/$tok") ;;
    esac
  done
  echo "${out[*]}"
}

# The file readers every instrumented build compiles from source (the code under test).
ABLATE_READER_SOURCES=(
  core/io/npy.cpp core/io/camera_files.cpp core/io/safetensors.cpp core/io/safetensors_index.cpp
  experiments/common/json_fields.cpp experiments/gate/baseline.cpp experiments/runner/workload.cpp
  experiments/runner/matrix_spec.cpp experiments/runner/ledger_record.cpp experiments/runner/ledger.cpp
  experiments/research/journal.cpp
)

# Instrumented too, each in its own translation unit (scripts may add to it before writing).
ABLATE_SEPARATE_SOURCES=()

# write_instrumented_ninja OUT_DIR GCC_DIR SANITIZE_FLAGS LINK_FLAGS: writes OUT_DIR/build.ninja
# with a precompiled <torch/torch.h>, a rule `cxx` for objects (obj/<path>.o) and `link`; the
# caller appends its build statements; READER_OBJS lists the objects of ABLATE_READER_SOURCES
# (compiled in unity batches: the instrumented headers are the cost, so few translation units).
write_instrumented_ninja() {
  local out="$1" gcc_dir="$2" sanitize="$3" link_flags="$4" root
  root=$(pwd)
  mkdir -p "$out"
  local flags libs
  local src
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$gcc_dir/CMakeCache.txt")
  flags=$(gcc_build_flags "$gcc_dir" | sed "s|-I$src |-I$root |")  # this checkout's sources
  libs=$(gcc_build_link_libs "$gcc_dir")
  {
    echo "root = $root"
    echo "cxx = clang++-14"
    echo "cflags = $flags -O1 -gline-tables-only -fno-omit-frame-pointer $sanitize -D_GLIBCXX_ASSERTIONS -Wall -Wextra -Wno-unused-parameter"
    echo "libs = $libs"
    echo "rule pch"
    echo "  command = \$cxx \$cflags -x c++-header \$in -o \$out -MD -MF \$out.d"
    echo "  depfile = \$out.d"
    echo "  description = PCH \$out"
    echo "rule cxx"
    echo "  command = \$cxx \$cflags -include-pch torch.pch -MD -MF \$out.d -c \$in -o \$out"
    echo "  depfile = \$out.d"
    echo "  description = CXX \$out"
    echo "rule link"
    echo "  command = \$cxx $link_flags \$in -Wl,--allow-multiple-definition \$libs \$extra -o \$out"
    echo "  description = LINK \$out"
    echo "build torch.pch: pch \$root/scripts/lib/instrumented-pch.h"
    # the sources in unity batches (core, core/io/safetensors.cpp alone: its dtype table has npy.cpp's
    # name; the statistics; the rest of experiments/), as the normal build batches them
    local group
    for group in core safetensors stats experiments; do
      [ -n "$(reader_sources_of "$group")" ] && echo "build obj/unity_$group.o: cxx unity_$group.cpp || torch.pch"
    done
  } >"$out/build.ninja"
  READER_OBJS=""
  # ABLATE_SEPARATE_SOURCES: each its own translation unit (files whose file-local names collide
  # when batched together, as the statistics' are)
  local one
  for one in "${ABLATE_SEPARATE_SOURCES[@]}"; do
    echo "build obj/${one%.cpp}.o: cxx \$root/$one || torch.pch" >>"$out/build.ninja"
    READER_OBJS+=" obj/${one%.cpp}.o"
  done
  for group in core safetensors stats experiments; do
    local list
    list=$(reader_sources_of "$group")
    [ -z "$list" ] && continue
    {
      echo "// generated by scripts/lib/instrumented-build.sh"
      for s in $list; do echo "#include \"$s\""; done
    } >"$out/unity_$group.cpp.new"
    cmp -s "$out/unity_$group.cpp.new" "$out/unity_$group.cpp" || mv "$out/unity_$group.cpp.new" "$out/unity_$group.cpp"
    rm -f "$out/unity_$group.cpp.new"
    READER_OBJS+=" obj/unity_$group.o"
  done
}

# reader_sources_of GROUP: the ABLATE_READER_SOURCES of one unity batch
reader_sources_of() {
  local s
  for s in "${ABLATE_READER_SOURCES[@]}"; do
    case "$1:$s" in
      core:core/io/safetensors.cpp) ;;
      safetensors:core/io/safetensors.cpp) echo "$s" ;;
      core:core/*|stats:experiments/stats/*) echo "$s" ;;
      experiments:experiments/stats/*) ;;
      experiments:experiments/*) echo "$s" ;;
    esac
  done
}
