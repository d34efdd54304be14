"""The app's own CSV format: children.csv and events.csv, as a folder or a .zip."""

import zipfile
from datetime import date

from audit_app.imports.csv_files import CHILD_COLUMNS, EVENT_COLUMNS
from audit_app.models import Child, Event

from .helpers import load, messages, rows_of, write_csv


def app_csv(folder, children, events, **kwargs):
    folder.mkdir(exist_ok=True)
    write_csv(folder / "children.csv", [list(CHILD_COLUMNS), *children], **kwargs)
    write_csv(folder / "events.csv", [list(EVENT_COLUMNS), *events], **kwargs)
    return folder


def event(child_id, kind, start, end="", occurrence="0", **fields):
    row = {
        "child_id": child_id,
        "kind": kind,
        "start": start,
        "end": end,
        "occurrence": occurrence,
        **fields,
    }
    return [row.get(c, "") for c in EVENT_COLUMNS]


CHILDREN = [
    ["0007", "b", "WBRI", "2016-02-01", "", "false", "false"],
    ["U9", "c", "", "", "2025-09-01", "", ""],
]
EVENTS = [
    event("0007", "referral", "2025-04-01", source="6", nfa="false", team="North"),
    event("0007", "contact", "2025-04-01", occurrence="1", source="2A"),
    event(
        "0007",
        "cp_plan",
        "2025-05-01",
        "2025-09-01",
        category_initial="NEG",
        reviews="2025-06-01,2025-08-01",
        latest_review="2025-08-01",
    ),
    event("U9", "referral", "2025-03-01", source="3B"),
]


def test_a_folder_of_the_two_files(app, tmp_path):
    result = load(app, app_csv(tmp_path / "data", CHILDREN, EVENTS))
    assert result.status == "committed", result.message
    assert result.report["format"] == "csv"
    assert result.report["problems"] == []
    children = {c["child_ref"]: c for c in rows_of(app, Child)}
    assert (children["0007"]["dob"], children["0007"]["disability"]) == (date(2016, 2, 1), False)
    assert children["U9"]["expected_dob"] == date(2025, 9, 1)
    events = {(e["kind"], e["occurrence"]): e for e in rows_of(app, Event)}
    assert events[("contact", 1)]["source"] == "2A"
    assert events[("cp_plan", 0)]["latest_review"] == date(2025, 8, 1)
    assert events[("cp_plan", 0)]["raw"] is None


def test_a_zip_with_bom_and_semicolons(app, tmp_path):
    folder = app_csv(tmp_path / "data", CHILDREN, EVENTS, bom=True, delimiter=";")
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name in ("children.csv", "events.csv"):
            zf.write(folder / name, name)
    result = load(app, path, file_format="csv")
    assert result.status == "committed", result.message
    assert len(rows_of(app, Event)) == 4


def test_bad_rows_are_rejected_with_their_line(app, tmp_path):
    events = EVENTS * 1 + [
        event("0007", "visit", "2025-04-01"),
        event("0007", "referral", "2025-04-01", "2025-03-01", occurrence="2"),
    ]
    events += [event(f"K{i}", "contact", "2025-01-01") for i in range(20)]
    result = load(app, app_csv(tmp_path / "data", CHILDREN, events))
    assert result.status == "committed"
    assert any(
        m.startswith("kind 'visit' is not one of contact") for m in messages(result, "error")
    )
    assert "end (01/03/2025) is before start (01/04/2025)" in messages(result, "error")
    assert result.report["lists"]["events.csv"]["rejected"] == 2
