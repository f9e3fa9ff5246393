#!/usr/bin/env bash
# Fetches Debian kernel images of several lines into .cache/kernels/<name>/
# (vmlinuz-*, System.map-*, config-*, the function symbols of the modules
# as modules.syms, and a PACKAGE note), for the kernel profiles (kgent kb
# build --kernel NAME) and the microVM verifier.
#
# It uses a private apt configuration (its own sources list, package lists,
# cache and an empty dpkg status) built from the system's own Debian archive
# address and keyring, so nothing is installed and the system's apt state is
# neither read nor changed. Idempotent: a kernel already cached is not fetched
# again, and apt is not run at all when every kernel is cached. Runs as root
# or not, never reads stdin. Progress goes to stderr.
#
# KGENT_KERNELS overrides the list, as space-separated NAME:SUITE pairs, e.g.
#   KGENT_KERNELS="debian-6.12-bpo:bookworm-backports" scripts/kernels.sh
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'kernels: %s\n' "$*" >&2; }

kernels=${KGENT_KERNELS:-"debian-5.10:bullseye debian-6.1:bookworm debian-6.12:trixie debian-sid:sid"}
top=$PWD/.cache/kernels
mkdir -p "$top"

cached() { # name -> 0 when its files are there
  local d=$top/$1
  compgen -G "$d/vmlinuz-*" >/dev/null && compgen -G "$d/System.map-*" >/dev/null && compgen -G "$d/config-*" >/dev/null &&
    [ -e "$d/modules.syms" ]
}

# modsyms DIR: the function symbols of the modules under DIR, one
# "t NAME [MODULE]" line each (the format of /proc/kallsyms for modules),
# so a profile knows the functions a module brings when it loads. Needs
# nm (binutils); modules compressed with xz, zstd or gzip are
# decompressed in place first (DIR is a scratch copy).
modsyms() {
  command -v nm >/dev/null 2>&1 || return 0
  find "$1" -name '*.ko.xz' -print0 | xargs -0 -r -n 64 xz -d 2>/dev/null || true
  find "$1" -name '*.ko.zst' -print0 | xargs -0 -r -n 64 zstd -q -d --rm 2>/dev/null || true
  find "$1" -name '*.ko.gz' -print0 | xargs -0 -r -n 64 gzip -d 2>/dev/null || true
  find "$1" -name '*.ko' -print0 | xargs -0 -r -n 256 nm -A --defined-only 2>/dev/null |
    awk '$2 == "t" || $2 == "T" { f = $1; sub(/:[0-9a-f]*$/, "", f); n = split(f, p, "/"); m = p[n]; sub(/\.ko$/, "", m); print $2, $3, "[" m "]" }' || true
}

todo=()
for kv in $kernels; do
  name=${kv%%:*}
  if cached "$name"; then
    log "$name cached ($(basename "$(compgen -G "$top/$name/vmlinuz-*" | head -1)"))"
  else
    todo+=("$kv")
  fi
done
[ ${#todo[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || {
  log "apt-get and dpkg-deb are needed to fetch kernel images; kernel profile tests will be skipped"
  exit 0
}

# The archive address and keyring, from the system's own sources (deb822
# first, then the one-line format); deb.debian.org and Debian's keyring when
# the system has neither.
uri="" key=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  # the first stanza whose URI is the main archive (not -security)
  read -r uri key < <(awk '
    /^[ \t]*$/ { if (u != "" && u !~ /security/) { print u, k; exit } u = ""; k = ""; next }
    /^URIs:/ { u = $2 } /^Signed-By:/ { k = $2 }
    END { if (u != "" && u !~ /security/) print u, k }' /etc/apt/sources.list.d/debian.sources | head -1) || true
fi
if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
  uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { print $i; exit } }' /etc/apt/sources.list) || true
fi
uri=${uri:-http://deb.debian.org/debian}
if [ -z "$key" ] || [ ! -r "$key" ]; then
  key=/usr/share/keyrings/debian-archive-keyring.gpg
fi
[ -r "$key" ] || { log "no Debian archive keyring ($key); kernel profile tests will be skipped"; exit 0; }

apt=$top/.apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
: >"$apt/status"
: >"$apt/sources.list"
for kv in "${todo[@]}"; do
  printf 'deb [signed-by=%s] %s %s main\n' "$key" "$uri" "${kv#*:}" >>"$apt/sources.list"
done
opts=(
  -o "Dir::Etc::SourceList=$apt/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt/lists"
  -o "Dir::Cache=$apt/cache"
  -o "Dir::State::status=$apt/status"
  -o Dir::Etc::Preferences=/dev/null
  -o Dir::Etc::PreferencesParts=/dev/null
  -o APT::Architecture=amd64
  -o APT::Architectures::=amd64
  -o Acquire::Languages=none
  -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
  -o "APT::Sandbox::User=$(id -un)"
)

log "apt-get update for ${todo[*]} from $uri"
# A suite the archive dropped fails alone: the others are still fetched.
apt-get "${opts[@]}" -qq update </dev/null >&2 || log "apt-get update reported errors; fetching what the archive has"

depends() { # suite package -> the names it depends on, one a line
  apt-cache "${opts[@]}" -o "APT::Default-Release=$1" depends "$2" 2>/dev/null |
    awk '$1 == "Depends:" && $2 !~ /^</ { print $2 }'
}
exists() { # package -> 0 when the lists have it
  apt-cache "${opts[@]}" show "$1" >/dev/null 2>&1
}

for kv in "${todo[@]}"; do
  name=${kv%%:*} suite=${kv#*:}
  # The suite's linux-image-amd64 names the versioned image; in newer suites
  # that is a meta package whose kernel is in linux-binary-*. The unsigned
  # image is the same kernel without the signature and is preferred.
  img=$(depends "$suite" linux-image-amd64 | grep -E '^linux-image-[0-9]' | head -1) || true
  if [ -z "$img" ]; then
    log "$name: $suite has no linux-image-amd64; skipped"
    continue
  fi
  pkg=$(depends "$suite" "$img" | grep -E '^linux-binary-[0-9]' | head -1) || true
  if [ -z "$pkg" ]; then
    if exists "$img-unsigned"; then pkg=$img-unsigned; else pkg=$img; fi
  fi
  pkgs=("$pkg")
  # In the newer layout the image package holds only /usr/lib/modules/<release>/vmlinuz;
  # its config and System.map are in linux-base-<release>, its modules in
  # linux-modules-<release>.
  case $pkg in linux-binary-*)
    for extra in base modules; do
      if exists "linux-$extra-${pkg#linux-binary-}"; then pkgs+=("linux-$extra-${pkg#linux-binary-}"); fi
    done ;;
  esac
  tmp=$(mktemp -d)
  log "$name: downloading ${pkgs[*]} ($suite)"
  if ! (cd "$tmp" && apt-get "${opts[@]}" -o "APT::Default-Release=$suite" -qq download "${pkgs[@]}" </dev/null >&2); then
    log "$name: download of ${pkgs[*]} failed"
    rm -rf "$tmp"
    continue
  fi
  mkdir -p "$tmp/x"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
  deb=$(ls "$tmp"/"$pkg"_*.deb | head -1)
  out=$top/$name
  rm -rf "$out.new"
  mkdir -p "$out.new"
  for f in "$tmp"/x/boot/vmlinuz-* "$tmp"/x/boot/System.map-* "$tmp"/x/boot/config-*; do
    [ -e "$f" ] && cp "$f" "$out.new/"
  done
  for d in "$tmp"/x/usr/lib/modules/*/; do
    rel=$(basename "$d")
    for f in vmlinuz System.map config; do
      [ -e "$d/$f" ] && cp "$d/$f" "$out.new/$f-$rel"
    done
  done
  for d in "$tmp"/x/lib/modules/*/ "$tmp"/x/usr/lib/modules/*/; do
    if [ -d "$d" ]; then modsyms "$d"; fi
  done | LC_ALL=C sort -u -k2,2 -k3,3 >"$out.new/modules.syms"
  printf '%s\n' "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) $suite" >"$out.new/PACKAGE"
  rm -rf "$tmp"
  if compgen -G "$out.new/vmlinuz-*" >/dev/null; then
    rm -rf "$out"
    mv "$out.new" "$out"
    log "$name: $(cd "$out" && echo vmlinuz-*)"
  else
    rm -rf "$out.new"
    log "$name: $pkg has no /boot/vmlinuz-*"
  fi
done
# The package lists are only needed to fetch: the next fetch updates anyway.
rm -rf "$apt"
