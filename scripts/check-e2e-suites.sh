#!/usr/bin/env bash
# ctest's e2e entries run one GoogleTest suite each, their names read from the sources' TEST( lines
# at configure time (tests/CMakeLists.txt). This fails, naming them, when the binary holds a test
# that no entry runs. Usage: check-e2e-suites.sh <ablate_e2e_tests> <suites,...> <tables,...>
# (tables: the parameterized instantiations, run as Table/*).
set -euo pipefail
binary=$1
IFS=, read -ra suites <<< "$2"
IFS=, read -ra tables <<< "$3"
missing=()
while read -r suite; do
  covered=0
  for s in "${suites[@]}"; do [ "$suite" = "$s" ] && covered=1; done
  for t in "${tables[@]}"; do [ "${suite%%/*}" = "$t" ] && covered=1; done
  [ $covered = 1 ] || missing+=("$suite")
done < <("$binary" --gtest_list_tests | grep -E '^[^ ]' | sed 's/\.$//; s/  *#.*//')
if [ ${#missing[@]} -gt 0 ]; then
  echo "check-e2e-suites: no ctest entry runs these suites of $binary: ${missing[*]}" >&2
  echo "(tests/CMakeLists.txt reads suites from lines that start with TEST( or TEST_F(; a TEST_P suite needs a table entry)" >&2
  exit 1
fi
echo "check-e2e-suites: every suite of $binary has a ctest entry (${#suites[@]} suites, tables ${tables[*]})"
