#!/bin/sh
# Seeds each target's corpus from the playbooks and member files in the repository.
# The corpora themselves are not committed (see .gitignore).
set -eu
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/parse_check fuzz/corpus/fmt_roundtrip fuzz/corpus/plan_snapshot
find tests rules examples -name '*.rules' 2>/dev/null | while read -r file; do
    name=$(printf '%s' "$file" | tr '/' '_')
    cp "$file" "fuzz/corpus/parse_check/$name"
    cp "$file" "fuzz/corpus/fmt_roundtrip/$name"
done
find tests examples -name '*.jsonl' -o -name '*.csv' 2>/dev/null | while read -r file; do
    name=$(printf '%s' "$file" | tr '/' '_')
    cp "$file" "fuzz/corpus/plan_snapshot/$name"
    # Each line alone too: small inputs mutate faster.
    split -l 1 -a 4 "$file" "fuzz/corpus/plan_snapshot/$name.line-"
done
