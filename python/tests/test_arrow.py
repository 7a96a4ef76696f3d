"""Playbook.plan_arrow: a pyarrow batch of members in, a batch of plans out, through
the Arrow C data interface; the same plans as `siyu run`, row for row."""

import threading

import pyarrow
import pytest

import siyu
from conftest import AS_OF, BEAUTY, MEMBERS, as_lines, read_members, run_lines


def test_plan_arrow_equals_siyu_run_row_for_row(beauty):
    members = read_members(beauty)
    assert members.num_rows == 5000
    planned = [beauty.plan_arrow(batch, AS_OF) for batch in members.to_batches(max_chunksize=1024)]
    assert all(p.schema == beauty.plan_schema for p in planned)
    rows = [row for plans in planned for row in as_lines(plans, beauty.time_zone)]
    assert rows == run_lines(BEAUTY, MEMBERS)


def test_handing_batches_over_copies_nothing_into_pyarrow(beauty):
    batch = read_members(beauty).combine_chunks().to_batches()[0]
    before = pyarrow.total_allocated_bytes()
    plans = beauty.plan_arrow(batch, AS_OF)
    assert plans.num_rows == batch.num_rows
    assert pyarrow.total_allocated_bytes() == before


def test_a_column_of_the_wrong_type_raises_a_batch_error(beauty):
    batch = read_members(beauty).to_batches()[0]
    orders = batch.schema.get_field_index("orders")
    wrong = batch.set_column(orders, "orders", pyarrow.array([str(v) for v in batch.column(orders).to_pylist()]))
    with pytest.raises(siyu.BatchError, match=r"column `orders`: expected int .* found Arrow type Utf8"):
        beauty.plan_arrow(wrong, AS_OF)
    with pytest.raises(siyu.BatchError, match="no column `orders`"):
        beauty.plan_arrow(batch.drop_columns(["orders"]), AS_OF)


def test_values_that_do_not_fit_are_row_errors_and_no_row_is_lost(beauty):
    rows = read_members(beauty).slice(0, 3).to_pylist()
    rows[1]["tier"] = "diamond"
    rows[2]["orders"] = None
    batch = pyarrow.RecordBatch.from_pylist(rows, schema=beauty.member_schema)
    plans = beauty.plan_arrow(batch, AS_OF)
    assert plans.num_rows == 3
    errors = [e and e["message"] for e in plans.column("error").to_pylist()]
    assert errors[0] is None
    assert errors[1].startswith('field `tier`: expected one of "none" | ')
    assert errors[2] == "missing field `orders`"
    assert plans.column("member").to_pylist() == [r["id"] for r in rows]


def test_plan_arrow_takes_a_batch_and_says_so(beauty):
    with pytest.raises(TypeError, match="pyarrow.RecordBatch"):
        beauty.plan_arrow({"id": ["a"]}, AS_OF)
    table = read_members(beauty)
    with pytest.raises(TypeError, match="to_batches"):
        beauty.plan_arrow(table, AS_OF)
    struct = table.to_batches()[0].to_struct_array()
    assert beauty.plan_arrow(struct, AS_OF).num_rows == len(struct)


def test_threads_plan_at_once_with_the_interpreter_released(beauty):
    batches = read_members(beauty).to_batches(max_chunksize=625)
    expected = [beauty.plan_arrow(b, AS_OF) for b in batches]
    results = [None] * len(batches)

    def plan(index):
        results[index] = beauty.plan_arrow(batches[index], AS_OF)

    threads = [threading.Thread(target=plan, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected
