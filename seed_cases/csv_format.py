"""The app's own CSV format: ``children.csv`` and ``events.csv``, one row per record.

Dates are ISO 8601, booleans ``Y``/``N``, an empty cell is None.  The importer
reads the same ``CHILD_COLUMNS`` and ``EVENT_COLUMNS``.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journeys.events import EVENT_FIELDS

if TYPE_CHECKING:
    from .generator import Authority

__all__ = ["CHILD_COLUMNS", "EVENT_COLUMNS", "cell", "write_csv"]

CHILD_COLUMNS: tuple[str, ...] = (
    "child_id", "sex", "ethnicity", "dob", "expected_dob", "disability", "uasc",
)  # fmt: skip
EVENT_COLUMNS: tuple[str, ...] = ("child_id", "kind", "start", "end", "occurrence", *EVENT_FIELDS)


def cell(value: Any) -> str:
    """One value as the CSV writes it.

    Examples
    --------
    >>> [cell(None), cell(True), cell(False), cell(date(2026, 1, 2)), cell(3)]
    ['', 'Y', 'N', '2026-01-02', '3']
    """
    if value is None:
        return ""
    if value is True:
        return "Y"
    if value is False:
        return "N"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(authority: Authority, folder: str | Path) -> tuple[Path, Path]:
    """Write ``children.csv`` and ``events.csv`` into ``folder``, streaming row by row.

    Examples
    --------
    >>> import tempfile
    >>> from seed_cases.generator import generate
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     children, events = write_csv(generate(3, seed=1), tmp)
    ...     children.read_text().splitlines()[0]
    'child_id,sex,ethnicity,dob,expected_dob,disability,uasc'
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    children_path, events_path = folder / "children.csv", folder / "events.csv"
    with (
        children_path.open("w", newline="", encoding="utf-8") as cf,
        events_path.open("w", newline="", encoding="utf-8") as ef,
    ):
        children, events = csv.writer(cf), csv.writer(ef)
        children.writerow(CHILD_COLUMNS)
        events.writerow(EVENT_COLUMNS)
        for case in authority.iter_cases():
            child = case.child
            children.writerow([cell(getattr(child, name)) for name in CHILD_COLUMNS])
            for e in case.events:
                events.writerow(
                    [child.child_id, e.kind, cell(e.start), cell(e.end), str(e.occurrence)]
                    + [cell(e.attrs.get(name)) for name in EVENT_FIELDS]
                )
    return children_path, events_path
