"""What the Python tests share: the repository's files, the `siyu` binary to compare
with, the sample members as an Arrow table, and plans read back as plan lines."""

import datetime
import json
import os
import pathlib
import subprocess
import tempfile
import zoneinfo

import pyarrow
import pyarrow.json
import pytest

import siyu

ROOT = pathlib.Path(__file__).resolve().parents[2]
AS_OF = "2026-11-25T09:00:00+08:00"
BEAUTY = ROOT / "rules" / "beauty_fmcg.rules"
MEMBERS = ROOT / "examples" / "members.jsonl"


def siyu_binary() -> pathlib.Path:
    """The `siyu` binary: `SIYU_BIN`, or the debug build of this checkout."""
    given = os.environ.get("SIYU_BIN")
    path = pathlib.Path(given) if given else ROOT / "target" / "debug" / "siyu"
    if not path.exists():
        if given:
            pytest.fail(f"SIYU_BIN names {path}, which does not exist")
        pytest.skip(f"no siyu binary at {path}: run `cargo build` first, or set SIYU_BIN")
    return path


def run_lines(playbook: pathlib.Path, members: pathlib.Path) -> list:
    """The plans `siyu run` writes for the members, as dicts, in order. The run has a
    new ledger (the beauty playbook reads members' histories), which sees every member
    for the first time, as a run without one does; the action ids a ledger run gives
    are left out, since the library's plans have none."""
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            [str(siyu_binary()), "run", str(playbook), "--members", str(members),
             "--as-of", AS_OF, "--quiet", "--ledger", os.path.join(folder, "ledger.db")],
            check=True, capture_output=True, text=True,
        )
    plans = [json.loads(line) for line in result.stdout.splitlines()]
    for plan in plans:
        for action in plan["actions"]:
            action.pop("id", None)
    return plans


def read_members(playbook: siyu.Playbook, path: pathlib.Path = MEMBERS) -> pyarrow.Table:
    """JSON Lines snapshots read into the playbook's members schema, as a data
    pipeline would write them."""
    options = pyarrow.json.ParseOptions(
        explicit_schema=playbook.member_schema, unexpected_field_behavior="ignore"
    )
    return pyarrow.json.read_json(path, parse_options=options)


def _zone(name: str) -> datetime.tzinfo:
    if name[:1] in "+-":
        sign = -1 if name[0] == "-" else 1
        hours, minutes = name[1:].split(":")
        return datetime.timezone(sign * datetime.timedelta(hours=int(hours), minutes=int(minutes)))
    return zoneinfo.ZoneInfo(name)


def _item(item: dict, zone: datetime.tzinfo) -> dict:
    out = {}
    for key, value in item.items():
        if value is None and key == "channel":
            continue
        if key == "args":
            value = json.loads(value)
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:  # Parquet's INT96 timestamps, which hold UTC
                value = value.replace(tzinfo=datetime.timezone.utc)
            value = value.astimezone(zone).isoformat()
        out[key] = value
    return out


def as_lines(plans, time_zone: str) -> list:
    """Plan rows (a pyarrow batch or table) as the dicts of plan lines; a row that got
    no plan as `{"error": message}`."""
    zone = _zone(time_zone)
    out = []
    for row in plans.to_pylist():
        if row["error"] is not None:
            out.append({"error": row["error"]["message"]})
            continue
        line = {"member": row["member"], "stage": row["stage"], "holdout": row["holdout"]}
        if "variants" in row:
            line["variants"] = row["variants"]
        line["actions"] = [_item(a, zone) for a in row["actions"]]
        line["suppressed"] = [_item(s, zone) for s in row["suppressed"]]
        out.append(line)
    return out


@pytest.fixture(scope="session")
def beauty() -> siyu.Playbook:
    return siyu.Playbook.from_file(BEAUTY)
