#!/usr/bin/env bash
# Runs every Go fuzz target for FUZZTIME (default 30s) each.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-30s}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  dir=$(dirname "$f")
  for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    echo "fuzz: $dir $fn for $t"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$t" "$dir" 2>&1 | tail -40
  done
done
