"""The cost of calling `Playbook.plan_arrow` from Python, per batch.

Plans batches of the benchmark members from a Parquet file (written by
`benches/columnar.rs`) with the 20-rule benchmark playbook and prints the median time
of a call on a batch of 10,000 members, and of a call on a batch of one member (what
a call costs beyond planning: handing the batch over, binding its columns, handing
the plans back). Compare the first with `plan_arrow on one batch of 10000 members` of
the Rust benchmark, run on the same members: the difference is Python's share.

    python python/benches/overhead.py target/bench/members-200000.jsonl.parquet
"""

import pathlib
import statistics
import sys
import time

import pyarrow.parquet

import siyu

ROOT = pathlib.Path(__file__).resolve().parents[2]
AS_OF = "2026-11-25T09:00:00+08:00"


def median_seconds(call, times):
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/bench/members-200000.jsonl.parquet")
    playbook = siyu.Playbook.from_file(ROOT / "benches/playbooks/perf20.rules")
    table = pyarrow.parquet.read_table(path, columns=playbook.member_schema.names)
    batch = table.slice(0, 10_000).combine_chunks().to_batches()[0]
    one = batch.slice(0, 1)
    for _ in range(3):
        playbook.plan_arrow(batch, AS_OF)
    full = median_seconds(lambda: playbook.plan_arrow(batch, AS_OF), 50)
    single = median_seconds(lambda: playbook.plan_arrow(one, AS_OF), 2000)
    print(f"plan_arrow from Python on a batch of {batch.num_rows} members: {full * 1000:.3f} ms (median of 50)")
    print(f"plan_arrow from Python on a batch of 1 member: {single * 1e6:.1f} µs (median of 2000)")


if __name__ == "__main__":
    main()
