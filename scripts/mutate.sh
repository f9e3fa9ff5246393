#!/usr/bin/env bash
# Mutation testing of the code that decides findings: gremlins plants
# one-line bugs (a < for a <=, a + for a -, a negated condition) in the
# files below, runs their package's tests for each, and counts the bugs
# no test noticed ("lived"). Triage of the survivors: docs/mutation.md.
#
#   make mutate                      every target, 35 minutes at most
#   MUTATE_BUDGET=5m make mutate     a tighter bound (per target it is
#                                    split evenly; a target out of time
#                                    reports what it finished)
#   MUTATE_TARGETS=kb make mutate    targets whose name starts with this
#
# Reports: .cache/mutate/<target>.json (gremlins' own format) and a
# summary table on stdout. Exit status 0 unless gremlins itself fails:
# the score is a figure to watch, not a gate.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
GREMLINS_VERSION=v0.6.0
bin=$PWD/.cache/bin/gremlins
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q .; then
  echo "mutate: installing gremlins $GREMLINS_VERSION" >&2
  GOBIN=$PWD/.cache/bin go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
fi

# name | package | files (a regexp over the package's file names)
targets=(
  "kb-nearest|./kb|^nearest\.go$"
  "analysis-findings|./analysis|^(codes|finding|want|text)\.go$"
  "bpfc-checks|./analysis/bpfc|^walk\.go$"
  "bpftrace-checks|./analysis/bpftrace|^(check|names|types)\.go$"
  "verify-mapping|./analysis/verify|^(log|merge)\.go$"
  "agent-repair|./agent|^(agent|repair)\.go$"
  "lsp-publish|./lsp|^(diagnostics|document)\.go$"
)
selected=()
for t in "${targets[@]}"; do
  [[ "${t%%|*}" == ${MUTATE_TARGETS:-}* ]] && selected+=("$t")
done
budget=${MUTATE_BUDGET:-35m}
case $budget in
  *m) total=$(( ${budget%m} * 60 )) ;;
  *s) total=${budget%s} ;;
  *) total=$budget ;;
esac
per=$(( total / ${#selected[@]} ))
mkdir -p .cache/mutate
# Slow tests that run external tools hundreds of times stay out of each
# mutant's run (testenv.Short); everything else runs as in make test.
export KGENT_MUTATE=1
export KGENT_KB_DIR=${KGENT_KB_DIR:-$(mktemp -d /tmp/kgent-mutate-kb.XXXXXX)}
start=$(date +%s)
printf '%-18s %7s %6s %9s %8s %9s %6s\n' target killed lived timed-out no-cover efficacy time
for t in "${selected[@]}"; do
  IFS='|' read -r name pkg files <<<"$t"
  excludes=(-E '/') # files of sub-packages (gremlins walks them too)
  for f in "$pkg"/*.go; do
    b=$(basename "$f")
    [[ $b == *_test.go ]] && continue
    [[ $b =~ $files ]] && continue
    excludes+=(-E "${b//./\\.}\$")
  done
  t0=$(date +%s)
  log=.cache/mutate/$name.log
  set +e
  timeout --signal=INT --kill-after=30 "$per" "$bin" unleash --workers 1 --test-cpu 2 --timeout-coefficient 5 \
    -S lt -o ".cache/mutate/$name.json" "${excludes[@]}" "$pkg" >"$log" 2>&1
  rc=$?
  set -e
  sum() { grep -oE "$1: [0-9]+" "$log" | tail -1 | grep -oE '[0-9]+' || echo 0; }
  eff=$(grep -oE 'Test efficacy: [0-9.]+%' "$log" | tail -1 | grep -oE '[0-9.]+%' || echo '-')
  [ "$rc" -eq 124 ] && eff="$eff (budget)"
  printf '%-18s %7s %6s %9s %8s %9s %5ss\n' "$name" "$(sum Killed)" "$(sum Lived)" "$(sum 'Timed out')" "$(sum 'Not covered')" "$eff" "$(( $(date +%s) - t0 ))"
  grep -E '^ *LIVED' "$log" | sed "s|^ *|    $name: |" || true
done
echo "mutate: $(( $(date +%s) - start ))s in all; reports in .cache/mutate/"
