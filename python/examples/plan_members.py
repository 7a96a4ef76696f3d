"""A Spark job that plans a member base with siyu: members from a Parquet directory
(or a Hive table), plans to a Parquet directory. Submit it with the environment
that has the siyu wheel (see docs/scale.md):

    spark-submit --master local[2] plan_members.py \\
        --playbook rules/beauty_fmcg.rules --members members/ --out plans/ \\
        --as-of 2026-11-25T09:00:00+08:00

The playbook is read and compiled on the driver (a playbook with errors stops the
job before any task starts); its source files travel with the tasks and each Python
worker compiles them once.
"""

import argparse
import sys

from pyspark.sql import SparkSession

import siyu
import siyu.spark


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playbook", required=True, help="the playbook file, on the driver")
    parser.add_argument("--members", required=True, help="a Parquet directory, or table:NAME for a table")
    parser.add_argument("--out", required=True, help="the Parquet directory the plans are written to")
    parser.add_argument("--as-of", required=True, help="the as-of time, RFC 3339")
    args = parser.parse_args()

    try:
        playbook = siyu.Playbook.from_file(args.playbook)
    except siyu.PlaybookError as error:
        print(error.report, file=sys.stderr)
        return 1
    spark = (
        SparkSession.builder.appName(f"siyu: {playbook.name}")
        # `at` as a Parquet timestamp that says it is UTC, rather than Spark's INT96.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .getOrCreate()
    )
    if args.members.startswith("table:"):
        members = spark.table(args.members[len("table:"):])
    else:
        members = spark.read.parquet(args.members)
    plans = siyu.spark.plan(members, playbook, args.as_of)
    plans.write.mode("overwrite").parquet(args.out)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
