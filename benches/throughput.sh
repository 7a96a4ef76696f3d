#!/usr/bin/env bash
# Whole-process throughput of `siyu run` beside a hand-written Rust program doing the
# same work, peak memory at several input sizes, and the time of `siyu check` on a
# playbook of 1,000 rules. One command:
#
#   benches/throughput.sh                 # 200,000 members, 7 timed rounds
#   benches/throughput.sh --big           # also peak memory at 10,000,000 members
#   benches/throughput.sh --members 50000 --runs 5 --no-build --skip-memory
#
# What is timed, on the same file (members from examples/gen_members.rs, cached in
# target/bench/), each as a whole process writing its output to a file:
#   (a) examples/reference.rs: typed serde decoding + the 20 rules in plain Rust + the
#       same plan lines (one thread);
#   (b) the same program with --decode-only: reading and typed decoding alone;
#   (c) siyu run benches/playbooks/perf20.rules (every core), and (c1) with --threads 1.
# After one warm-up round the outputs of (a), (c) and (c1) are compared byte for byte.
# Each timed round runs all four, in an order that rotates from round to round; the
# ratios are medians of the per-round ratios.
#
# Peak memory (maximum resident set) is measured with the generator streaming members
# into `siyu run --members -`, so no large file is needed.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."

members=200000
runs=7
big=0
build=1
memory=1
while [ $# -gt 0 ]; do
    case "$1" in
        --members) members="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --big) big=1; shift ;;
        --no-build) build=0; shift ;;
        --skip-memory) memory=0; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "throughput.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

if [ "$build" = 1 ]; then
    cargo build --release --quiet --bin siyu \
        --example reference --example gen_members --example gen_playbook
fi

bin=target/release
examples=$bin/examples
dir=target/bench
mkdir -p "$dir"
as_of=2026-11-25T09:00:00+08:00
playbook=benches/playbooks/perf20.rules
data=$dir/members-$members.jsonl
log=$dir/stderr.log
: > "$log"

if [ ! -s "$data" ] || [ examples/gen_members.rs -nt "$data" ]; then
    echo "generating $members members into $data"
    "$examples/gen_members" "$members" > "$data.partial"
    mv "$data.partial" "$data"
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
echo "input:   $data ($(wc -l < "$data") members, $(( $(wc -c < "$data") / 1048576 )) MiB)"
echo

cmd_a=("$examples/reference" --members "$data" --as-of "$as_of" --out "$dir/plans-reference.jsonl")
cmd_b=("$examples/reference" --members "$data" --decode-only)
cmd_c=("$bin/siyu" run "$playbook" --members "$data" --as-of "$as_of" --out "$dir/plans-siyu.jsonl" --quiet)
cmd_c1=("$bin/siyu" run "$playbook" --members "$data" --as-of "$as_of" --out "$dir/plans-siyu-1.jsonl" --quiet --threads 1)

# Runs one of the commands above; prints "wall cpu" in seconds (cpu = user + system).
measure() {
    local -n argv="cmd_$1"
    local TIMEFORMAT='%3R %3U %3S'
    { time "${argv[@]}" > /dev/null 2>> "$log"; } 2> "$dir/time"
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$dir/time"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.3f", x / y }'; }
rate() { awk -v n="$members" -v s="$1" 'BEGIN { printf "%4.0fk members/s", n / s / 1000 }'; }

echo "warm-up round"
for name in a b c c1; do measure "$name" > /dev/null; done
if cmp -s "$dir/plans-reference.jsonl" "$dir/plans-siyu.jsonl" \
    && cmp -s "$dir/plans-siyu.jsonl" "$dir/plans-siyu-1.jsonl"; then
    echo "outputs: (a), (c) and (c1) wrote identical plans ($(wc -l < "$dir/plans-siyu.jsonl") lines)"
else
    echo "outputs: DIFFERENT, so the comparison is not valid; see $dir/plans-*.jsonl" >&2
    exit 1
fi

declare -A wall cpu
order=(a b c c1)
for round in $(seq 1 "$runs"); do
    line="round $round:"
    for step in 0 1 2 3; do
        name=${order[$(( (round + step) % 4 ))]}
        read -r seconds busy < <(measure "$name")
        wall[$name]="${wall[$name]:-} $seconds"
        cpu[$name]="${cpu[$name]:-} $busy"
        line="$line  $name ${seconds}s (cpu ${busy}s)"
    done
    echo "$line"
done

read -r -a wa <<< "${wall[a]}"; read -r -a wb <<< "${wall[b]}"
read -r -a wc <<< "${wall[c]}"; read -r -a wc1 <<< "${wall[c1]}"
ca=(); cb=(); c1a=()
for i in "${!wa[@]}"; do
    ca+=("$(ratio "${wc[$i]}" "${wa[$i]}")")
    cb+=("$(ratio "${wc[$i]}" "${wb[$i]}")")
    c1a+=("$(ratio "${wc1[$i]}" "${wa[$i]}")")
done
# shellcheck disable=SC2086
cpu_median() { median ${cpu[$1]}; }
ma=$(median "${wa[@]}"); mb=$(median "${wb[@]}"); mc=$(median "${wc[@]}"); mc1=$(median "${wc1[@]}")
echo
echo "median over $runs rounds, $members members        wall              cpu (user+sys)"
echo "  (a)  reference: decode, 20 rules, write    ${ma} s  $(rate "$ma")   $(cpu_median a) s"
echo "  (b)  reference: decode only                ${mb} s  $(rate "$mb")   $(cpu_median b) s"
echo "  (c)  siyu run, $(nproc) threads                   ${mc} s  $(rate "$mc")   $(cpu_median c) s"
echo "  (c1) siyu run --threads 1                  ${mc1} s  $(rate "$mc1")   $(cpu_median c1) s"
echo "paired wall-time ratios (median of the per-round ratios):"
echo "  (c)/(a)  = $(median "${ca[@]}")"
echo "  (c)/(b)  = $(median "${cb[@]}")"
echo "  (c1)/(a) = $(median "${c1a[@]}")"
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"

# Peak resident memory of a command, in KiB; its stdin is the caller's.
if [ ! -x /usr/bin/time ] && [ "$memory" = 1 ] && command -v apt-get > /dev/null; then
    apt-get install -y -qq time > /dev/null 2>&1 || true
fi
if [ -x /usr/bin/time ]; then
    peak_kib() { /usr/bin/time -f %M -o "$dir/rss" "$@" > /dev/null 2>> "$log"; tail -n 1 "$dir/rss"; }
else
    # No GNU time: sample the kernel's high-water mark while the process runs.
    peak_kib() {
        "$@" 0<&0 > /dev/null 2>> "$log" &
        local pid=$! peak=0 now
        while kill -0 "$pid" 2> /dev/null; do
            now=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2> /dev/null || true)
            if [ -n "$now" ] && [ "$now" -gt "$peak" ]; then peak=$now; fi
            sleep 0.02
        done
        wait "$pid" || true
        echo "$peak"
    }
fi
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

if [ "$memory" = 1 ]; then
    echo
    echo "peak memory (maximum resident set of the process):"
    echo "  (a) reference, $members-member file            $(mib "$(peak_kib "${cmd_a[@]}")")"
    echo "  (c) siyu run, $members-member file             $(mib "$(peak_kib "${cmd_c[@]}")")"
    sizes="10000 1000000"
    if [ "$big" = 1 ]; then sizes="$sizes 10000000"; fi
    for size in $sizes; do
        start=$EPOCHREALTIME
        kib=$("$examples/gen_members" "$size" | peak_kib "$bin/siyu" run "$playbook" \
            --members - --as-of "$as_of" --out /dev/null --quiet)
        end=$EPOCHREALTIME
        printf '  (c) siyu run, %8d members through a pipe   %s   (%.1f s)\n' "$size" \
            "$(mib "$kib")" "$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')"
    done
fi

echo
rules_file=$dir/playbook-1000.rules
"$examples/gen_playbook" 1000 > "$rules_file"
cmd_check=("$bin/siyu" check "$rules_file")
cmd_load=("$bin/siyu" run "$rules_file" --members /dev/null --as-of "$as_of" --quiet)
echo "check: a generated playbook of 1,000 rules ($(wc -l < "$rules_file") lines)"
if "${cmd_check[@]}" > /dev/null 2> "$dir/check.stderr"; then
    check_times=()
    for _ in $(seq 1 "$runs"); do read -r seconds _ < <(measure check); check_times+=("$seconds"); done
    echo "  siyu check, median wall time                          $(median "${check_times[@]}") s"
else
    echo "  siyu check failed (exit $?): $(head -c 300 "$dir/check.stderr")"
fi
load_times=()
for _ in $(seq 1 "$runs"); do read -r seconds _ < <(measure load); load_times+=("$seconds"); done
echo "  siyu run with no members (parse + compile), median    $(median "${load_times[@]}") s"
