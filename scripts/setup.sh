#!/usr/bin/env bash
# Installs what kgent needs on a Debian machine, idempotently: the BPF
# toolchain and editors from apt, Go modules, tracefs. Safe to run again;
# does nothing that is already done. Needs root for apt and mount; without
# root it says what to install by hand and goes on.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# qemu-system-x86 boots other kernels for their verifiers (analysis/verify/microvm).
pkgs=(clang llvm bpftool libbpf-dev bpftrace clangd neovim systemtap-sdt-dev binutils util-linux qemu-system-x86)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "not root: install these by hand: sudo apt-get install ${missing[*]}"
  fi
else
  log "apt packages present"
fi

if [ ! -d /sys/kernel/tracing/events ]; then
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p /sys/kernel/tracing
    mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null && log "mounted tracefs" || log "could not mount tracefs: tracepoint facts will be unknown"
  else
    log "tracefs not mounted: as root run mount -t tracefs tracefs /sys/kernel/tracing"
  fi
fi

if [ "${1:-}" = "--test" ]; then
  # What only the tests need (make test; not make demo): newer bpftrace
  # releases in private prefixes under .cache/bpftrace, for the tests that
  # compare kgent with each release (0.17 is the system's), and Debian
  # kernel images of other lines for kernel profiles and the microVM
  # verifier, under .cache/kernels. Each is fetched once.
  bash scripts/bpftrace-releases.sh || log "some bpftrace releases are missing: the per-release tests will skip"
  bash scripts/kernels.sh || log "kernel images not fetched: kernel profile tests will skip"
fi

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null 2>&1 || { log "Go is not installed (https://go.dev/dl)"; exit 2; }
go mod download
log "ready"
