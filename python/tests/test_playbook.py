"""siyu.Playbook from Python: loading, diagnostics as exceptions, one member at a
time, and pickling (compiled once per process)."""

import datetime
import json
import pickle

import pytest

import siyu
from conftest import AS_OF, BEAUTY, MEMBERS, ROOT, run_lines

SHOP = """
playbook "shop" { timezone "+08:00" }
member { id: string, orders: int, consent: { dm: bool } }
channel dm { consent consent.dm  window 10:00-21:00 }
stage customer when orders >= 1
rule thanks { stage customer  then send "thank you" via dm }
"""


def test_a_playbook_file_loads_with_its_includes(beauty):
    assert beauty.name == "Lumi 美妆 · 抖音私域"
    assert beauty.time_zone == "+08:00"
    assert "repeat_buyer" in beauty.stages
    assert "douyin_dm" in beauty.channels
    assert beauty.rules
    assert isinstance(beauty.warnings, list)
    assert repr(beauty) == '<siyu.Playbook "Lumi 美妆 · 抖音私域">'


def test_a_playbook_with_errors_raises_with_the_report_and_the_json_diagnostics():
    with pytest.raises(siyu.PlaybookError) as raised:
        siyu.Playbook.from_source("bad.rules", 'playbook "x" {}\nrule r { when y >>> 1 then tag "a" }\n')
    error = raised.value
    assert isinstance(error, ValueError)
    assert "expected an expression after `>`" in error.report
    assert "bad.rules:2:18" in error.report
    assert error.report.endswith("the playbook has 1 error")
    assert str(error) == error.report
    assert error.diagnostics == [{
        "severity": "error", "code": "siyu::syntax::unexpected",
        "message": "expected an expression after `>`", "file": "bad.rules",
        "line": 2, "column": 18, "end_line": 2, "end_column": 19,
        "label": "found `>` here", "help": None, "labels": [],
    }]


def test_an_unreadable_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot read"):
        siyu.Playbook.from_file(tmp_path / "missing.rules")


def test_plan_takes_a_dict_and_gives_the_plan_line_as_a_dict():
    playbook = siyu.Playbook.from_source("shop.rules", SHOP)
    plan = playbook.plan({"id": "m1", "orders": 3, "consent": {"dm": True}}, AS_OF)
    assert plan == {
        "member": "m1", "stage": "customer", "holdout": False,
        "actions": [{"rule": "thanks", "verb": "send", "channel": "dm", "content": "thank you",
                     "at": "2026-11-25T10:00:00+08:00", "priority": 0, "args": {}}],
        "suppressed": [],
    }
    at = datetime.datetime(2026, 11, 25, 1, 0, tzinfo=datetime.timezone.utc)
    assert playbook.plan({"id": "m1", "orders": 3, "consent": {"dm": True}}, at) == plan


def test_plan_equals_siyu_run_on_the_sample_members(beauty):
    lines = run_lines(BEAUTY, MEMBERS)
    with open(MEMBERS, encoding="utf-8") as members:
        snapshots = [json.loads(line) for line in members]
    assert [beauty.plan(s, AS_OF) for s in snapshots[:500]] == lines[:500]


def test_a_snapshot_that_does_not_fit_raises_with_its_kind_and_member():
    playbook = siyu.Playbook.from_source("shop.rules", SHOP)
    with pytest.raises(siyu.SnapshotError) as raised:
        playbook.plan({"id": "m1", "orders": "many", "consent": {"dm": True}}, AS_OF)
    error = raised.value
    assert str(error) == 'field `orders`: expected int, found string "many"'
    assert (error.kind, error.member, error.rule) == ("schema", "m1", None)


def test_as_of_must_be_an_instant():
    playbook = siyu.Playbook.from_source("shop.rules", SHOP)
    member = {"id": "m1", "orders": 0, "consent": {"dm": True}}
    with pytest.raises(ValueError, match="without a time zone"):
        playbook.plan(member, datetime.datetime(2026, 11, 25, 9))
    with pytest.raises(ValueError, match="not an RFC 3339 date-time"):
        playbook.plan(member, "tomorrow")
    with pytest.raises(TypeError):
        playbook.plan(member, 20261125)


def test_a_playbook_pickles_as_its_sources_and_is_compiled_once_per_process(beauty, tmp_path, monkeypatch):
    blob = pickle.dumps(beauty)
    first, second = pickle.loads(blob), pickle.loads(blob)
    assert first is second, "the second unpickling shares the first compilation"
    assert first.rules == beauty.rules
    # The includes travel inside the pickle: the files are not needed where it lands.
    monkeypatch.chdir(tmp_path)
    source = (ROOT / "rules" / "restaurant_local.rules").read_text(encoding="utf-8")
    for include in ["common.rules", "channels"]:
        target = tmp_path / include
        original = ROOT / "rules" / include
        if original.is_dir():
            target.mkdir()
            for file in original.iterdir():
                (target / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
        else:
            target.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    from_text = siyu.Playbook.from_source("restaurant.rules", source)
    blob = pickle.dumps(from_text)
    for file in sorted(tmp_path.rglob("*.rules"), reverse=True):
        file.unlink()
    restored = pickle.loads(blob)
    member = json.loads(MEMBERS.read_text(encoding="utf-8").splitlines()[0])
    assert restored.plan(member, AS_OF) == from_text.plan(member, AS_OF)
