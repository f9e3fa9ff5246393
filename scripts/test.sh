#!/usr/bin/env bash
# The whole test suite: vet, unit and integration tests (real kernel, real
# clang/bpftrace/nvim where present; KGENT_REQUIRE_BPF=1 turns every skip
# for a missing tool or privilege into a failure), editor suites, and a
# short fuzz run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
# Tests build their own kb caches; keep them out of the user's cache.
export KGENT_KB_DIR=${KGENT_KB_DIR:-$(mktemp -d /tmp/kgent-test-kb.XXXXXX)}
echo "test: go vet"
go vet ./...
echo "test: go test"
go test -count=1 -timeout 45m ./... 2>&1 | tee /tmp/kgent-go-test.log
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "test: go test failed" >&2
  exit "$status"
fi
if [ -x editors/test.sh ]; then
  echo "test: editors"
  bash editors/test.sh
fi
echo "test: fuzz (${FUZZTIME:-30s} per target)"
FUZZTIME=${FUZZTIME:-30s} bash scripts/fuzz.sh
echo "test: all passed"
