#!/usr/bin/env bash
# The main job on built-in defaults: build the kb for this machine, then
# check demo programs full of what LLMs and tired humans invent, and show
# what kgent says. Exits 0 when the findings are the expected ones (each
# demo file states them in `// want:` comments).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/kgent
echo "== kgent $($bin version | cut -d' ' -f2): building the knowledge base for this kernel"
$bin kb build
$bin kb info | sed -n '1,3p;/attach kinds/,/sources/p' | sed '$d'
echo
echo "== kgent check testdata/demo"
set +e
$bin check testdata/demo
status=$?
set -e
echo "(exit status $status: 1 means errors were found, as they should be here)"
echo
echo "== the same findings as JSON (first file)"
first=$(ls testdata/demo/* | head -1)
$bin check --format json "$first" | head -40 || true
echo
echo "== comparing with the expected findings"
$bin check --expect testdata/demo
