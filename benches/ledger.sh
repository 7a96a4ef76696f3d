#!/usr/bin/env bash
# The ledger's cost, measured: a run of MEMBERS generated members (default 200,000)
# against an SQLite ledger that already holds RUNS daily runs (default 30), against the
# same run without a ledger, as paired ratios (median of PAIRS alternated pairs, whole
# process, release build, after a warm-up). Each timed ledger run starts from a copy of
# the RUNS-day ledger, so every pair measures a first run of the next day. Peak memory
# (max RSS) of the ledger run is printed too.
#
#   benches/ledger.sh [MEMBERS] [RUNS] [PAIRS] [PLAYBOOK]
#
# The playbook (default rules/restaurant_local.rules) must run without a ledger too, so
# that both sides plan the same thing; its caps read the ledger's touches.
set -euo pipefail
cd "$(dirname "$0")/.."
members=${1:-200000}
runs=${2:-30}
pairs=${3:-7}
playbook=${4:-rules/restaurant_local.rules}

cargo build --release --quiet --bin siyu --example gen_members
siyu=target/release/siyu
work=$(mktemp -d /tmp/siyu-ledger-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
target/release/examples/gen_members "$members" > "$work/members.jsonl"

day() { date -u -d "2026-10-01 + $1 days" +%Y-%m-%dT09:00:00+08:00; }

echo "== filling a ledger with $runs daily runs of $members members"
start=$(date +%s)
for ((i = 0; i < runs; i++)); do
  "$siyu" run "$playbook" --members "$work/members.jsonl" --as-of "$(day "$i")" \
    --ledger "$work/filled.db" --quiet > /dev/null
done
echo "   $(( $(date +%s) - start )) s; ledger $(du -h "$work/filled.db" | cut -f1)"

as_of=$(day "$runs")
plain() {
  "$siyu" run "$playbook" --members "$work/members.jsonl" --as-of "$as_of" --quiet > /dev/null
}
with_ledger() {
  "$siyu" run "$playbook" --members "$work/members.jsonl" --as-of "$as_of" --quiet \
    --ledger "$work/run.db" > /dev/null
}
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

cp "$work/filled.db" "$work/run.db"
plain; with_ledger # warm-up
ratios=()
for ((p = 0; p < pairs; p++)); do
  cp "$work/filled.db" "$work/run.db"
  a=$(seconds plain)
  b=$(seconds with_ledger)
  ratios+=("$(echo "$b / $a" | bc -l)")
  printf 'pair %d: without %.3f s, with the ledger %.3f s, ratio %.2f (load %s)\n' \
    "$p" "$a" "$b" "$(echo "$b / $a" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'median ratio (with / without the ledger): %.2f\n' "$median"
cp "$work/filled.db" "$work/run.db"
/usr/bin/time -f 'peak memory of the ledger run: %M KiB' "$siyu" run "$playbook" \
  --members "$work/members.jsonl" --as-of "$as_of" --quiet --ledger "$work/run.db" > /dev/null
