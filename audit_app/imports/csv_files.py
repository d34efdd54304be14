"""The app's own CSV format: ``children.csv`` and ``events.csv`` (see docs/csv-format.md)."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from journeys import EVENT_FIELDS, EVENT_KINDS

from .normalise import clean_text, header_key, to_child_id
from .report import Refused, Report
from .rows import Row, RowBuilder, StagedEvent
from .tables import csv_rows, csv_sources

__all__ = ["CHILD_COLUMNS", "EVENT_COLUMNS", "read_app_csv", "is_app_csv"]

from seed_cases.csv_format import CHILD_COLUMNS, EVENT_COLUMNS  # the generator's own columns

CHILD_KINDS = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "dob": "date",
    "expected_dob": "date",
    "disability": "yn",
    "uasc": "yn",
}
FIELD_KINDS = {
    name: {date: "date", int: "int", bool: "yn"}.get(kind, "text")
    for name, kind in EVENT_FIELDS.items()
}


def _names(path: Path) -> dict[str, tuple[str, object]]:
    return {name.lower(): (name, opener) for name, opener in csv_sources(path)}


def is_app_csv(path: Path) -> bool:
    try:
        names = _names(path)
    except Refused:
        return False
    return "events.csv" in names or "children.csv" in names


def _table(name: str, opener) -> Iterator[tuple[int, tuple]]:
    with opener() as raw:
        yield from csv_rows(raw, name)


def read_app_csv(path: Path, report: Report) -> Iterator[Row]:
    report.file_format = "csv"
    names = _names(path)
    if "events.csv" not in names and "children.csv" not in names:
        raise Refused("Neither children.csv nor events.csv was found.")
    if "children.csv" in names:
        yield from _read(*names["children.csv"], report, _child_row, "children")
    if "events.csv" in names:
        yield from _read(*names["events.csv"], report, _event_row, "events")


def _read(name: str, opener, report: Report, build, what: str) -> Iterator[Row]:
    report.add_list(name, what.capitalize())
    rows = _table(name, opener)
    header = None
    for _, cells in rows:
        if any(c.strip() for c in cells):
            header = [header_key(c) for c in cells]
            break
    if header is None:
        return
    if "child_id" not in header:
        raise Refused(f"{name} has no child_id column.")
    known = set(CHILD_COLUMNS if what == "children" else EVENT_COLUMNS)
    for h in header:
        if h and h not in known and what == "children":
            report.note(f"{name}: column '{h}' is not part of the format; it was ignored")
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        values = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
        yield build(name, number, {k: (v if v.strip() else None) for k, v in values.items()})


def _child_id(b: RowBuilder, row: Row, value) -> None:
    if b.too_long("child_id", value):
        return
    parsed = to_child_id(value)
    if parsed.value is None:
        b.error(
            "child_id",
            value,
            "child_id is missing"
            if parsed.how == "blank"
            else f"child_id '{clean_text(value)}' is not a child identifier",
        )
    row.child_ref = parsed.value


def _child_row(name: str, number: int, values: dict) -> Row:
    row = Row(name, name, number)
    b = RowBuilder(row)
    _child_id(b, row, values.get("child_id"))
    for column, kind in CHILD_KINDS.items():
        v = b.parse(column, values.get(column), kind, raw=row.child_raw, name=column)
        if v is not None:
            row.child[column] = v
    return row


def _event_row(name: str, number: int, values: dict) -> Row:
    row = Row(name, name, number)
    b = RowBuilder(row)
    _child_id(b, row, values.get("child_id"))
    kind = clean_text(values.get("kind"))
    if kind not in EVENT_KINDS:
        b.error(
            "kind",
            kind,
            f"kind '{kind}' is not one of {', '.join(EVENT_KINDS)}" if kind else "kind is missing",
        )
    start = b.parse("start", values.get("start"), "date", required=True)
    end = b.parse("end", values.get("end"), "date")
    occurrence = b.parse("occurrence", values.get("occurrence"), "int")
    if occurrence is not None and occurrence < 0:
        b.error("occurrence", occurrence, "occurrence must be 0 or more")
    event = StagedEvent(kind or "", start or date.min, end, occurrence)
    for column, value in values.items():
        if column in FIELD_KINDS:
            v = b.parse(column, value, FIELD_KINDS[column], raw=event.raw, name=column)
            if v is not None:
                event.fields[column] = v
        elif column not in EVENT_COLUMNS and value is not None:
            if not b.too_long(column, value):
                event.details[column] = clean_text(value)[:2000]
    if start and end and end < start:
        b.error("end", end, f"end ({end:%d/%m/%Y}) is before start ({start:%d/%m/%Y})")
    if not row.rejected:
        row.events.append(event)
    return row
