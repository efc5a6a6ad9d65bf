#!/usr/bin/env bash
# Fails when a function under the given folders (default: experiments/) is longer than the limit
# (default 80 lines), as pmccabe (Debian's pmccabe) counts them; prints each offender.
# Usage: scripts/check-function-length.sh [--max N] [folder ...]
set -euo pipefail
cd "$(dirname "$0")/.."
max=80
if [ "${1:-}" = "--max" ]; then max=$2; shift 2; fi
folders=("$@")
[ ${#folders[@]} -eq 0 ] && folders=(experiments)
command -v pmccabe >/dev/null || { echo "check-function-length: pmccabe is missing (apt-get install pmccabe)" >&2; exit 2; }
# pmccabe columns: modified McCabe, McCabe, statements, first line, lines, file(line): name
long=$(find "${folders[@]}" -name '*.cpp' -print0 | xargs -0 pmccabe 2>/dev/null | awk -v max="$max" '$5 > max {print "  " $5 " lines: " $6 " " $7}')
if [ -n "$long" ]; then
  echo "functions over $max lines:"
  echo "$long"
  exit 1
fi
echo "no function over $max lines in ${folders[*]}"
