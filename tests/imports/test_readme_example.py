"""The README's small CSV example imports as it says."""

import re
from pathlib import Path

from audit_app.models import Child, Event

from .helpers import load, rows_of

README = Path(__file__).resolve().parents[2] / "README.md"


def _example(name: str) -> str:
    text = README.read_text()
    match = re.search(rf"`{re.escape(name)}`\n\n```\n(.*?)```", text, re.S)
    assert match, f"the README has no {name} example"
    return match.group(1)


def test_the_readme_csv_example_imports(app, tmp_path):
    folder = tmp_path / "example"
    folder.mkdir()
    for name in ("children.csv", "events.csv"):
        (folder / name).write_text(_example(name))
    result = load(app, folder)
    assert result.status == "committed", result.message
    assert result.report["rows"]["rejected"] == 0
    children = {c["child_ref"]: c for c in rows_of(app, Child)}
    assert set(children) == {"0000101", "0000102"}
    assert children["0000102"]["expected_dob"].isoformat() == "2025-09-01"
    kinds = sorted(e["kind"] for e in rows_of(app, Event))
    assert kinds == ["contact", "cp_plan", "referral", "referral"]
    plan = next(e for e in rows_of(app, Event) if e["kind"] == "cp_plan")
    assert plan["category_initial"] == "NEG" and plan["team"] == "North Safeguarding Team"
