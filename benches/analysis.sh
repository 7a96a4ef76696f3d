#!/usr/bin/env bash
# The analysis commands, whole process, release build:
#   - `siyu diff OLD NEW` beside one `siyu run OLD` over the same members (goal: at most
#     2.5 times the run's wall time), and the diff's peak memory;
#   - `siyu check --deep` on each shipped playbook (goal: under 1 s each).
#
#   benches/analysis.sh                      # 200,000 members, 7 rounds
#   benches/analysis.sh --members 50000 --runs 5 --no-build
#
# OLD is the shipped beauty playbook, NEW the same with one stage's threshold moved
# (`repeat_buyer` from 2 orders to 3), so a few percent of the members change. Members
# come from examples/gen_members.rs, cached in target/bench/ (the same file as
# benches/throughput.sh's). Both commands write their JSON Lines output to a file and
# run with --quiet. After a warm-up, each round runs the two in an order that
# alternates from round to round; the ratio is the median of the per-round ratios.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."

members=200000
runs=7
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --members) members="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "analysis.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

if [ "$build" = 1 ]; then
    cargo build --release --quiet --bin siyu --example gen_members
fi

bin=target/release
dir=target/bench
mkdir -p "$dir"
as_of=2026-11-25T09:00:00+08:00
data=$dir/members-$members.jsonl
log=$dir/analysis.log
: > "$log"

if [ ! -s "$data" ] || [ examples/gen_members.rs -nt "$data" ]; then
    echo "generating $members members into $data"
    "$bin/examples/gen_members" "$members" > "$data.partial"
    mv "$data.partial" "$data"
fi

# NEW: a copy of rules/ (for the includes) with one threshold moved.
rm -rf "$dir/rules-new"
cp -r rules "$dir/rules-new"
old=rules/beauty_fmcg.rules
new=$dir/rules-new/beauty_fmcg.rules
sed -i 's/^stage repeat_buyer \(.*\)when orders >= 2$/stage repeat_buyer \1when orders >= 3/' "$new"
if cmp -s "$old" "$new"; then
    echo "analysis.sh: the edit of $new did not apply" >&2
    exit 1
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
echo "input:   $data ($(wc -l < "$data") members, $(( $(wc -c < "$data") / 1048576 )) MiB)"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

cmd_run=("$bin/siyu" run "$old" --members "$data" --as-of "$as_of" --out "$dir/plans-old.jsonl" --quiet)
cmd_diff=("$bin/siyu" diff "$old" "$new" --members "$data" --as-of "$as_of" --out "$dir/changed.jsonl" --summary "$dir/diff.json" --quiet)

# Runs one of the commands above; prints "wall cpu" in seconds (cpu = user + system).
measure() {
    local -n argv="cmd_$1"
    local TIMEFORMAT='%3R %3U %3S'
    { time "${argv[@]}" > /dev/null 2>> "$log"; } 2> "$dir/time"
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$dir/time"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.3f", x / y }'; }

echo "warm-up round"
measure run > /dev/null
measure diff > /dev/null
echo "diff: $(grep -o '"changed": *[0-9]*' "$dir/diff.json" | head -1 | tr -d ' ') of $members members"

runs_wall=(); diffs_wall=(); ratios=(); runs_cpu=(); diffs_cpu=(); cpu_ratios=()
for round in $(seq 1 "$runs"); do
    if [ $((round % 2)) = 1 ]; then
        read -r r rc < <(measure run); read -r d dc < <(measure diff)
    else
        read -r d dc < <(measure diff); read -r r rc < <(measure run)
    fi
    runs_wall+=("$r"); diffs_wall+=("$d"); ratios+=("$(ratio "$d" "$r")")
    runs_cpu+=("$rc"); diffs_cpu+=("$dc"); cpu_ratios+=("$(ratio "$dc" "$rc")")
    echo "round $round:  run ${r}s (cpu ${rc}s)  diff ${d}s (cpu ${dc}s)  diff/run $(ratio "$d" "$r") (cpu $(ratio "$dc" "$rc"))"
done
echo
echo "median over $runs rounds, $members members:      wall        cpu (user+sys)"
echo "  siyu run OLD                           $(median "${runs_wall[@]}") s    $(median "${runs_cpu[@]}") s"
echo "  siyu diff OLD NEW                      $(median "${diffs_wall[@]}") s    $(median "${diffs_cpu[@]}") s"
echo "  diff/run (paired median)               $(median "${ratios[@]}")      $(median "${cpu_ratios[@]}")   (goal: wall at most 2.5)"

if [ -x /usr/bin/time ]; then
    peak=$(/usr/bin/time -f %M "${cmd_diff[@]}" 2>&1 >/dev/null | tail -n 1)
    echo "  siyu diff peak memory       $(awk -v k="$peak" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
fi

echo
echo "check --deep, whole process, median of $runs (goal: under 1 s each):"
for playbook in rules/*.rules; do
    grep -q '^playbook ' "$playbook" || continue
    # shellcheck disable=SC2034 # read by measure through its name
    cmd_deep=("$bin/siyu" check --deep --as-of "$as_of" "$playbook")
    times=()
    for _ in $(seq 1 "$runs"); do read -r wall _ < <(measure deep); times+=("$wall"); done
    printf '  %-28s %s s\n' "$playbook" "$(median "${times[@]}")"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
