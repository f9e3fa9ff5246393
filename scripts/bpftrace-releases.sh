#!/usr/bin/env bash
# Makes newer bpftrace releases runnable next to the system's one, without
# installing anything: for each release, a private apt configuration of the
# Debian suite that ships it (its own sources list, package lists, cache and
# an empty dpkg status, so the system's apt state is never read or written)
# computes the package's whole dependency closure, `apt-get download` fetches
# the .debs and `dpkg-deb -x` unpacks them into one root under
# .cache/bpftrace/<version>/root. A wrapper .cache/bpftrace/<version>/bpftrace
# runs that release's binary through its own loader and libraries.
#
# The archive address and keyring come from the system's own apt sources
# (/etc/apt/sources.list.d/debian.sources, or APT_SOURCES). Idempotent: a
# release whose wrapper already answers --version is left alone, and the
# downloaded .debs are kept. Progress goes to stderr. Needs no stdin.
#
#   scripts/bpftrace-releases.sh            # every release below
#   scripts/bpftrace-releases.sh 0.23.2     # only that one
set -euo pipefail
cd "$(dirname "$0")/.."

# version suite: the Debian suite whose bpftrace is that release.
releases=(
  "0.23.2 trixie"
  "0.27.1 sid"
)

log() { printf 'bpftrace-releases: %s\n' "$*" >&2; }

cache=$PWD/.cache
sources=${APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}

# archive prints "URI KEYRING" of the first deb822 stanza of $sources that
# serves the main archive (not the security one).
archive() {
  local uri="" key="" line
  [ -r "$sources" ] || { echo "http://deb.debian.org/debian /usr/share/keyrings/debian-archive-keyring.gpg"; return; }
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      URIs:*) uri=$(echo "${line#URIs:}" | awk '{print $1}') ;;
      Signed-By:*) key=$(echo "${line#Signed-By:}" | awk '{print $1}') ;;
      "")
        if [ -n "$uri" ] && [[ "$uri" != *security* ]]; then break; fi
        uri="" key="" ;;
    esac
  done <"$sources"
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  [ -n "$key" ] || key=/usr/share/keyrings/debian-archive-keyring.gpg
  echo "$uri $key"
}

# aptopts prints the options of the private configuration of suite $1.
aptopts() {
  local d=$cache/apt/$1
  printf '%s\n' \
    -o Dir::Etc::SourceList="$d/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::Etc::Preferences=/dev/null \
    -o Dir::Etc::PreferencesParts=/dev/null \
    -o Dir::State::Lists="$d/lists" \
    -o Dir::State::status="$d/status" \
    -o Dir::State::extended_states="$d/extended_states" \
    -o Dir::Cache="$d/cache" \
    -o Dir::Cache::archives="$d/archives" \
    -o Debug::NoLocking=true \
    -o APT::Sandbox::User=root \
    -o APT::Install-Recommends=false \
    -o APT::Get::AllowUnauthenticated=false \
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false
}

# aptc runs apt-get, aptq apt-cache, with the private configuration of suite $1.
aptc() { local s=$1; shift; local o; mapfile -t o < <(aptopts "$s"); apt-get -q "${o[@]}" "$@"; }
aptq() { local s=$1; shift; local o; mapfile -t o < <(aptopts "$s"); apt-cache "${o[@]}" "$@"; }

setup_suite() {
  local suite=$1 d=$cache/apt/$1 uri key
  read -r uri key < <(archive)
  mkdir -p "$d/lists/partial" "$d/cache" "$d/archives/partial" "$d/debs"
  : >"$d/status"
  : >"$d/extended_states"
  echo "deb [signed-by=$key] $uri $suite main" >"$d/sources.list"
  # The lists are refreshed at most once a day.
  if [ -z "$(find "$d/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
    log "$suite: apt-get update ($uri)"
    aptc "$suite" update >&2
  fi
}

wrapper_ok() { [ -x "$1/bpftrace" ] && "$1/bpftrace" --version >/dev/null 2>&1; }

install_release() {
  local version=$1 suite=$2 out=$cache/bpftrace/$1
  if wrapper_ok "$out"; then
    log "$version: present ($("$out/bpftrace" --version))"
    return 0
  fi
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
    log "$version: needs apt-get and dpkg-deb (Debian); skipped"; return 1; }
  setup_suite "$suite"
  local d=$cache/apt/$suite
  local have
  have=$(aptq "$suite" -o APT::Cache::AllVersions=false show bpftrace 2>/dev/null | awk '/^Version:/{print $2; exit}')
  case "$have" in
    "$version"*) ;;
    *) log "$version: $suite has bpftrace ${have:-none}, not $version; skipped"; return 1 ;;
  esac
  # The dependency closure against an empty status: every package the
  # binary needs, its C library and loader included.
  local pkgs
  pkgs=$(aptc "$suite" -s install bpftrace 2>/dev/null | awk '/^Inst /{print $2}')
  [ -n "$pkgs" ] || { log "$version: no dependency closure from $suite"; return 1; }
  log "$version: $(echo "$pkgs" | wc -w) packages from $suite"
  local need=()
  for p in $pkgs; do
    ls "$d/debs/${p}"_*.deb >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    log "$version: downloading ${#need[@]} packages"
    (cd "$d/debs" && aptc "$suite" download "${need[@]}" >&2)
  fi
  local tmp=$out.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp/root"
  for p in $pkgs; do
    local deb
    deb=$(ls "$d/debs/${p}"_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || { log "$version: $p was not downloaded"; return 1; }
    dpkg-deb -x "$deb" "$tmp/root"
  done
  local llvm
  llvm=$(ls -d "$tmp"/root/usr/lib/llvm-*/lib 2>/dev/null | head -1 | sed "s|^$tmp/root/||")
  cat >"$tmp/bpftrace" <<EOF
#!/bin/sh
# bpftrace $version from Debian $suite, run through its own loader and libraries.
R=\$(dirname "\$(readlink -f "\$0")")/root
L=\$R/usr/lib/x86_64-linux-gnu:\$R/lib/x86_64-linux-gnu${llvm:+:\$R/$llvm}
exec "\$R/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "\$L" "\$R/usr/bin/bpftrace" "\$@"
EOF
  chmod +x "$tmp/bpftrace"
  rm -rf "$out"
  mv "$tmp" "$out"
  if wrapper_ok "$out"; then
    log "$version: ready: $("$out/bpftrace" --version)"
  else
    log "$version: unpacked but does not run"; return 1
  fi
}

status=0
want=("$@")
for r in "${releases[@]}"; do
  read -r version suite <<<"$r"
  if [ ${#want[@]} -gt 0 ] && [[ " ${want[*]} " != *" $version "* ]]; then continue; fi
  install_release "$version" "$suite" || status=1
done
exit $status
