#!/usr/bin/env bash
# ASan + UBSan run of the CPU unit tests of the file readers, the checkpoint archive code and the
# statistics and decision code (verdicts, sequential rule, factorial analysis, Pareto front,
# successive halving, quality measures, the gate, partitions): those sources and their tests are
# compiled instrumented (clang-14) into build-asan/
# and linked against the g++ build's libraries for everything else (scripts/lib/instrumented-build.sh
# says why: a fully instrumented second build does not fit this machine). Any report fails the run:
# UBSan does not recover, ASan stops at its first error, LeakSanitizer is on. Suppressions, each
# with its reason, are in scripts/sanitizers/. Not in CI; see reports/reliability-sanitizers.md.
#   scripts/sanitize.sh                    # build (nice, -j1), then the tests
#   scripts/sanitize.sh --jobs 2 | --filter 'Npy*' | --build-only | --libs DIR (another g++ build)
#   scripts/sanitize.sh --model            # also the model code (DiT, VAE, T5, sampler, pipeline) and its tests
#   scripts/sanitize.sh --all              # every library source and every fast (unit) test: CMake's
#                                          # ablate_unit_tests, instrumented whole
set -euo pipefail
cd "$(dirname "$0")/.."
# CombinationsTest: expand_combinations (g++ library) sees no strategies when matrix_spec.cpp is the
# clang copy (a registry singleton duplicated by the mixed link, not a sanitizer report; it passes
# in the g++ build)
jobs=1 filter="-CombinationsTest.*" build_only=0 libs=build model=0 all=0
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs="$2"; shift 2 ;;
    --filter) filter="$2"; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --libs) libs="$2"; shift 2 ;;
    --model) model=1; shift ;;
    --all) all=1 model=1 filter="*"; shift ;;
    *) echo "sanitize.sh: unknown argument '$1'; valid: --jobs N, --filter PATTERN, --build-only, --libs DIR, --model, --all" >&2; exit 2 ;;
  esac
done
command -v clang++-14 >/dev/null || { echo "sanitize.sh: clang++-14 is missing (apt-get install clang-14)" >&2; exit 2; }
build=build-asan
source scripts/lib/instrumented-build.sh
# beyond the file readers: the torch.save archive code (zip, pickle, mapped files)
ABLATE_READER_SOURCES+=(
  core/io/mapped_file.cpp core/io/zip_format.cpp core/io/zip_reader.cpp core/io/zip_writer.cpp
  core/io/pickle_reader.cpp core/io/pickle_writer.cpp
)
# the statistics and decision code the verdicts, the gate, the search and the cluster runs rest on
# (one translation unit each: their file-local names collide in one batch)
ABLATE_SEPARATE_SOURCES+=(
  experiments/stats/statistics.cpp experiments/stats/verdict.cpp experiments/stats/sequential.cpp
  experiments/stats/factorial.cpp experiments/stats/pareto.cpp experiments/stats/successive_halving.cpp
  experiments/stats/search.cpp experiments/gate/quality.cpp experiments/gate/gate.cpp
  experiments/runner/assignment.cpp experiments/runner/partition.cpp experiments/research/search_rounds.cpp
)
TESTS=(npy camera_files safetensors safetensors_index ledger_record runner_parts mapped_file zip_format zip_reader
       zip_writer pickle_reader pickle_writer
       statistics verdict sequential factorial pareto successive_halving quality gate assignment partition
       search_rounds)
# instrument_whole DIR... [find tests]: every .cpp `find` lists there (not the CUDA ones), each its
# own translation unit, unless a list above has it already
instrument_whole() {
  local f
  for f in $(find "$@" -name '*.cpp' ! -name '*_cuda.cpp' | sort); do
    case " ${ABLATE_READER_SOURCES[*]} ${ABLATE_SEPARATE_SOURCES[*]} " in *" $f "*) ;; *) ABLATE_SEPARATE_SOURCES+=("$f") ;; esac
  done
}
if [ "$model" = 1 ]; then
  # the model code: all of core/ (the DiT, the VAE, the T5, the sampler, the pipeline, the
  # distributed code, the checkpoint I/O), each file its own translation unit (core/dit and core/vae
  # both have an attention_block.cpp), and the model's tests. All of it, not a part: a g++ object of
  # core/ next to clang ones can need a hidden construction vtable (torch::nn::Sequential's) whose
  # comdat group the linker took from a clang object that does not define it.
  instrument_whole core ! -name sentencepiece_shim.cpp
  TESTS+=(rope sampler dit t5_encoder vae_modules vae pipeline pipeline_inputs)
fi
if [ "$all" = 1 ]; then
  # the rest of the libraries (optimizations/, profiling/, experiments/ but the CLI's main()), so no
  # g++ object is linked at all, and every unit test: tests/CMakeLists.txt's list less its e2e tests
  instrument_whole optimizations profiling experiments ! -path experiments/cli/main.cpp
  e2e=$(sed -n '/^set(ABLATE_E2E_TEST_NAMES/,/)/p' tests/CMakeLists.txt | tr -s ' ()\n' '\n' | grep '_test$')
  TESTS=()
  for f in tests/*_test.cpp; do
    t=$(basename "$f" .cpp)
    case "$t" in *_cuda_test) continue ;; esac
    grep -qx "$t" <<<"$e2e" || TESTS+=("${t%_test}")
  done
fi
start=$(date +%s)
[ "$libs" = build ] && ensure_gcc_build build "$jobs"
# --all: the private definitions of the libraries compiled here too (CMake gives them per target)
defs=""
[ "$all" = 1 ] && defs="-DABLATE_SOURCE_DIR=\\\"$(pwd)\\\""
write_instrumented_ninja "$build" "$libs" "-fsanitize=address,undefined -fno-sanitize-recover=all $defs" \
  "-fsanitize=address,undefined"
gcc_dir=$(cd "$libs" && pwd)
# the tests' scratch folders (ABLATE_BINARY_DIR/test-out) in build-asan/, their `ablate` the g++ one
mkdir -p "$build/experiments"
ln -sf "$gcc_dir/experiments/ablate" "$build/experiments/ablate"
# the tests in one translation unit, as the unity build compiles them (each file in its own namespace)
{
  echo "// generated by scripts/sanitize.sh"
  for t in "${TESTS[@]}"; do echo "#include \"tests/${t}_test.cpp\""; done
} >"$build/tests_unity.cpp.new"
cmp -s "$build/tests_unity.cpp.new" "$build/tests_unity.cpp" 2>/dev/null || mv "$build/tests_unity.cpp.new" "$build/tests_unity.cpp"
rm -f "$build/tests_unity.cpp.new"
{
  echo "test_defs = -DABLATE_BINARY_DIR=\\\"$(pwd)/$build\\\" -DABLATE_SOURCE_DIR=\\\"\$root\\\""
  echo "build obj/tests_unity.o: cxx tests_unity.cpp || torch.pch"
  echo "  cflags = \$cflags \$test_defs"
  echo "build obj/tests/test_main.o: cxx \$root/tests/test_main.cpp || torch.pch"
  echo "build ablate_sanitized_tests: link obj/tests_unity.o obj/tests/test_main.o$READER_OBJS"
  echo "  extra = -lgtest"
} >>"$build/build.ninja"
nice -n 10 ninja -C "$build" -j"$jobs"
echo "sanitize.sh: build took $(( $(date +%s) - start )) s"
[ "$build_only" = 1 ] && exit 0

supp="$(pwd)/scripts/sanitizers"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:suppressions=$supp/asan.supp"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
start=$(date +%s)
rc=0
nice -n 10 "$build/ablate_sanitized_tests" --gtest_brief=1 --gtest_filter="$filter" || rc=$?
echo "sanitize.sh: tests took $(( $(date +%s) - start )) s, exit $rc"
exit "$rc"
