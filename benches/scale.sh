#!/usr/bin/env bash
# Throughput of siyu on Arrow and Parquet, beside `siyu run --threads 1` on JSON Lines,
# and of siyu inside Spark. One command:
#
#   benches/scale.sh                      # 200,000 members, 7 rounds; no Spark
#   benches/scale.sh --spark              # also Spark local[2] on 1,000,000 members
#   benches/scale.sh --members 50000 --runs 5 --no-build
#
# What it measures (members from examples/gen_members.rs, cached in target/bench/,
# the 20-rule playbook benches/playbooks/perf20.rules):
#   1. in process, one thread (benches/columnar.rs): Playbook::plan_arrow on batches
#      of 10,000 against Playbook::plan_lines_json with one thread, alternated;
#   2. whole processes, alternated rounds: `siyu run --threads 1` on the JSON Lines
#      file and on the same members as Parquet, both writing plan lines to a file;
#   3. from Python (a virtual environment with the package, `pip install ./python`;
#      PYTHON names its interpreter, default target/python-venv/bin/python): the time
#      of one plan_arrow call on 10,000 members and on one member;
#   4. with --spark: Spark local[2] end to end on 1,000,000 members.
# The Python package should be built in release mode (`pip install ./python` does).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

members=200000
runs=7
build=1
spark=0
while [ $# -gt 0 ]; do
    case "$1" in
        --members) members="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --spark) spark=1; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "scale.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

if [ "$build" = 1 ]; then
    cargo build --release --quiet --features parquet --bin siyu --example gen_members
fi
dir=target/bench
mkdir -p "$dir"
data=$dir/members-$members.jsonl
if [ ! -s "$data" ] || [ examples/gen_members.rs -nt "$data" ]; then
    echo "generating $members members into $data"
    target/release/examples/gen_members "$members" > "$data.partial"
    mv "$data.partial" "$data"
fi
python="${PYTHON:-target/python-venv/bin/python}"
echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
echo

echo "1. in process, one thread"
cargo bench --quiet --features parquet --bench columnar -- "$data" "$runs"
echo

echo "2. whole processes: siyu run --threads 1, JSON Lines against Parquet"
as_of=2026-11-25T09:00:00+08:00
playbook=benches/playbooks/perf20.rules
run() {
    local TIMEFORMAT='%3R'
    { time target/release/siyu run "$playbook" --members "$1" --as-of "$as_of" \
        --threads "$2" --quiet --out "$dir/plans-$(basename "$1").jsonl" > /dev/null; } 2>&1
}
run "$data" 1 > /dev/null
run "$data.parquet" 1 > /dev/null
cmp "$dir/plans-$(basename "$data").jsonl" "$dir/plans-$(basename "$data.parquet").jsonl"
echo "   the two wrote identical plans"
lines=(); parquet=(); ratios=()
for round in $(seq 1 "$runs"); do
    if [ $((round % 2)) = 1 ]; then
        l=$(run "$data" 1); p=$(run "$data.parquet" 1)
    else
        p=$(run "$data.parquet" 1); l=$(run "$data" 1)
    fi
    lines+=("$l"); parquet+=("$p")
    ratios+=("$(awk -v p="$p" -v l="$l" 'BEGIN { printf "%.3f", p / l }')")
    echo "   round $round: JSON Lines ${l} s, Parquet ${p} s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { awk -v n="$members" -v s="$1" 'BEGIN { printf "%.0fk members/s", n / s / 1000 }'; }
ml=$(median "${lines[@]}"); mp=$(median "${parquet[@]}")
echo "   median: JSON Lines $ml s ($(rate "$ml")), Parquet $mp s ($(rate "$mp")); paired ratio $(median "${ratios[@]}")"
echo

if [ -x "$python" ]; then
    echo "3. from Python ($python)"
    "$python" python/benches/overhead.py "$data.parquet"
else
    echo "3. skipped: no Python environment with the package at $python"
fi

if [ "$spark" = 1 ]; then
    echo
    echo "4. Spark local[2], 1,000,000 members"
    big=$dir/members-1000000.jsonl
    if [ ! -s "$big" ]; then
        target/release/examples/gen_members 1000000 > "$big.partial"
        mv "$big.partial" "$big"
    fi
    "$python" python/benches/spark_throughput.py "$big"
fi
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
