#!/usr/bin/env bash
# Builds, unit-tests and packages the VS Code extension. Idempotent; uses
# the machine's Node.js and npm (never apt's).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  if [ "${KGENT_REQUIRE_BPF:-}" = "1" ]; then
    echo "vscode: npm is not installed" >&2
    exit 1
  fi
  echo "vscode: skipped: npm is not installed"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
npm run -s build
npm test
npm run -s package
ls -la kgent.vsix
