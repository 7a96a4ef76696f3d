"""siyu.spark.plan on a real local Spark (`local[2]`): the 5,000 sample members read
from a Parquet directory of several files plan as `siyu run` plans them, row for row;
each Python worker compiles the playbook once. Skipped, saying why, where there is
no Java runtime or no PySpark."""

import os
import pathlib
import pickle
import shutil
import subprocess
import sys

import pyarrow.parquet
import pytest

import siyu
import siyu.spark
from conftest import AS_OF, BEAUTY, MEMBERS, ROOT, as_lines, read_members, run_lines

EXAMPLE = ROOT / "python" / "examples" / "plan_members.py"


def _why_no_spark():
    java = shutil.which("java")
    if java is None:
        return "no Java runtime (`java` is not on PATH; install openjdk-17-jre-headless)"
    probe = subprocess.run([java, "-version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"`java -version` failed: {probe.stderr.strip()}"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install ./python[spark])"
    return None


WHY = _why_no_spark()
if WHY is not None:
    print(f"SKIPPED test_spark: {WHY}", file=sys.stderr)
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"test_spark: {WHY}")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # The workers run this interpreter, which has siyu; Spark stays on loopback.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("siyu-test")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_plans_a_parquet_directory_as_siyu_run_does(spark, beauty, tmp_path):
    members = read_members(beauty)
    folder = tmp_path / "members"
    folder.mkdir()
    for part in range(4):
        pyarrow.parquet.write_table(members.slice(part * 1250, 1250), folder / f"part-{part}.parquet")
    frame = spark.read.parquet(str(folder))
    plans = siyu.spark.plan(frame, beauty, AS_OF)
    assert plans.schema == siyu.spark.plan_type(beauty)
    table = plans.toArrow() if hasattr(plans, "toArrow") else plans._collect_as_arrow()
    rows = as_lines(table, beauty.time_zone)
    expected = run_lines(BEAUTY, MEMBERS)
    assert len(rows) == len(expected) == 5000
    assert sorted(rows, key=lambda r: r["member"]) == sorted(expected, key=lambda r: r["member"])


def test_a_playbook_path_and_a_bad_as_of_fail_on_the_driver(spark, beauty):
    frame = spark.createDataFrame([], "id string")
    with pytest.raises(ValueError, match="RFC 3339"):
        siyu.spark.plan(frame, str(BEAUTY), "next week")


def test_each_python_worker_compiles_the_playbook_once(spark, beauty):
    blob = pickle.dumps(beauty)

    def compiled(_):
        playbook = pickle.loads(blob)
        return [(os.getpid(), id(playbook))]

    seen = spark.sparkContext.parallelize(range(16), 16).mapPartitions(compiled).collect()
    by_process = {}
    for pid, identity in seen:
        by_process.setdefault(pid, set()).add(identity)
    assert len(seen) == 16
    assert all(len(identities) == 1 for identities in by_process.values()), by_process


def test_the_example_job_runs_under_spark_submit(beauty, tmp_path):
    submit = pathlib.Path(sys.executable).with_name("spark-submit")
    if not submit.exists():
        pytest.skip(f"test_spark: no spark-submit beside {sys.executable}")
    members = read_members(beauty)
    folder = tmp_path / "members"
    folder.mkdir()
    for part in range(3):
        pyarrow.parquet.write_table(members.slice(part * 1667, 1667), folder / f"part-{part}.parquet")
    out = tmp_path / "plans"
    environment = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    job = subprocess.run(
        [str(submit), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
         str(EXAMPLE), "--playbook", str(BEAUTY), "--members", str(folder),
         "--out", str(out), "--as-of", AS_OF],
        env=environment, capture_output=True, text=True,
    )
    assert job.returncode == 0, job.stderr[-3000:]
    plans = pyarrow.parquet.read_table(out)
    rows = sorted(as_lines(plans, beauty.time_zone), key=lambda r: r["member"])
    assert rows == sorted(run_lines(BEAUTY, MEMBERS), key=lambda r: r["member"])
