"""Spark `local[2]` end to end: members read from a Parquet directory, planned by
`siyu.spark.plan`, every plan computed (Spark's `noop` sink writes nothing).

    python python/benches/spark_throughput.py target/bench/members-1000000.jsonl

The members file (from `examples/gen_members.rs`) is first converted, untimed, into
a Parquet directory of 8 files in the benchmark playbook's members schema. Prints
the wall time of three runs of the job and members per second for the median.
"""

import os
import pathlib
import statistics
import sys
import time

import pyarrow.json
import pyarrow.parquet

import siyu
import siyu.spark

ROOT = pathlib.Path(__file__).resolve().parents[2]
AS_OF = "2026-11-25T09:00:00+08:00"


def to_parquet(members: pathlib.Path, playbook: siyu.Playbook, files: int = 8) -> pathlib.Path:
    folder = members.with_suffix(".parquet.d")
    if folder.exists() and folder.stat().st_mtime > members.stat().st_mtime:
        return folder
    folder.mkdir(exist_ok=True)
    options = pyarrow.json.ParseOptions(explicit_schema=playbook.member_schema, unexpected_field_behavior="ignore")
    table = pyarrow.json.read_json(members, parse_options=options, read_options=pyarrow.json.ReadOptions(block_size=16 << 20))
    size = -(-table.num_rows // files)
    for part in range(files):
        pyarrow.parquet.write_table(table.slice(part * size, size), folder / f"part-{part}.parquet")
    return folder


def main():
    members = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "target/bench/members-1000000.jsonl")
    playbook = siyu.Playbook.from_file(ROOT / "benches/playbooks/perf20.rules")
    folder = to_parquet(members, playbook)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("siyu-throughput")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    frame = spark.read.parquet(str(folder))
    count = frame.count()
    walls = []
    for run in range(3):
        started = time.perf_counter()
        siyu.spark.plan(frame, playbook, AS_OF).write.format("noop").mode("overwrite").save()
        walls.append(time.perf_counter() - started)
        print(f"run {run + 1}: {walls[-1]:.2f} s")
    wall = statistics.median(walls)
    print(f"{count} members, Spark local[2], Parquet in, every plan computed: "
          f"{wall:.2f} s (median of 3), {count / wall / 1000:.0f}k members/s")
    spark.stop()


if __name__ == "__main__":
    main()
