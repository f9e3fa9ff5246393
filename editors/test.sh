#!/usr/bin/env bash
# Editor suites outside Go: the VS Code extension (build, unit tests,
# package). The Neovim end-to-end test runs in `go test ./editors/`.
set -euo pipefail
cd "$(dirname "$0")"
bash vscode/test.sh
