#!/bin/sh
# Runs one fuzz target for a bounded time: ./fuzz/run.sh TARGET SECONDS
# Stable Rust accepts the sanitizer flags cargo-fuzz passes with RUSTC_BOOTSTRAP=1.
set -eu
cd "$(dirname "$0")"
target=$1
seconds=${2:-600}
case $target in
    plan_snapshot) dict=dicts/json.dict; max_len=8192 ;;
    *) dict=dicts/rules.dict; max_len=16384 ;;
esac
[ -d corpus/"$target" ] || ./seed.sh
RUSTC_BOOTSTRAP=1 exec cargo fuzz run "$target" -O -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$max_len" -dict="$dict" -print_final_stats=1
