"""Planning a Spark DataFrame of members with siyu, on the executors.

:func:`plan` turns a DataFrame of members (columns as in
``Playbook.member_schema``, as read from Parquet or a Hive table) into a DataFrame of
plans (``Playbook.plan_schema``), one row per member. Spark hands each executor its
partitions as Arrow record batches (``mapInArrow``); each batch is planned by
``Playbook.plan_arrow`` with no copy and no per-row Python. The playbook travels with
the job as its source files and each Python worker process compiles it once, the
first time it is sent, however many tasks and batches follow.

Each row is planned on its own: duplicate ids across partitions are not detected
(``siyu run`` does that for one file), and the run ledger is not used.
"""

from __future__ import annotations

import datetime
import os
from typing import TYPE_CHECKING, Iterator, Union

import pyarrow

from ._siyu import Playbook

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["plan", "plan_type"]


def plan_type(playbook: Playbook):
    """The Spark type of the plans :func:`plan` gives: ``Playbook.plan_schema`` as a
    ``StructType`` (``at`` is a ``timestamp``)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(playbook.plan_schema)


def _as_of_text(as_of: Union[str, datetime.datetime]) -> str:
    if isinstance(as_of, datetime.datetime):
        if as_of.tzinfo is None:
            raise ValueError("as_of is a datetime without a time zone; give it one (tzinfo)")
        return as_of.isoformat()
    if isinstance(as_of, str):
        return as_of
    raise TypeError("as_of must be an RFC 3339 string or a datetime with a time zone")


def plan(
    members: "DataFrame",
    playbook: Union[Playbook, str, os.PathLike],
    as_of: Union[str, datetime.datetime],
) -> "DataFrame":
    """Plans every member of ``members`` at ``as_of``; returns a DataFrame of plans.

    ``playbook`` is a :class:`siyu.Playbook` or the path of a playbook file on the
    driver (it is compiled there first, so a playbook with errors fails the job
    before any task starts, with a :class:`siyu.PlaybookError`). The plans have the
    columns of ``Playbook.plan_schema``: ``member``, ``stage``, ``holdout``,
    ``variants`` (with experiments), ``actions``, ``suppressed`` and ``error`` (for a
    member that got no plan; no row is lost). A column of the wrong type fails the
    task with a :class:`siyu.BatchError`.
    """
    if not isinstance(playbook, Playbook):
        playbook = Playbook.from_file(playbook)
    as_of = _as_of_text(as_of)
    # A bad as-of time fails here, on the driver, rather than in every task.
    playbook.plan_arrow(_empty(playbook), as_of)
    spark_type = plan_type(playbook)
    time_zone = members.sparkSession.conf.get("spark.sql.session.timeZone")
    if playbook.member_schema is not None:
        # Only the columns the playbook reads cross over to the Python workers.
        wanted = set(playbook.member_schema.names)
        members = members.select([c for c in members.columns if c in wanted])
    return members.mapInArrow(_planner(playbook, as_of, spark_type, time_zone), spark_type)


def _empty(playbook: Playbook) -> pyarrow.RecordBatch:
    """No members, in the playbook's members schema."""
    schema = playbook.member_schema
    if schema is None:
        schema = pyarrow.schema([("id", pyarrow.string())])
    return pyarrow.RecordBatch.from_pylist([], schema=schema)


def _planner(playbook: Playbook, as_of: str, spark_type, time_zone: str):
    """The function each task runs over its batches. It holds the playbook, which
    pickles as its source files and is compiled once per worker process."""
    from pyspark.sql.pandas.types import to_arrow_schema

    target = to_arrow_schema(spark_type, timezone=time_zone)

    def plan_batches(batches: Iterator[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        for batch in batches:
            plans = playbook.plan_arrow(batch, as_of)
            yield plans.cast(target) if plans.schema != target else plans

    return plan_batches
