"""The validation report of an import: counts per list, and every problem with where it is.

Kept as JSON in ``ImportBatch.report``; the list of problems is capped, the counts never are.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Refused", "Problem", "Report", "MAX_PROBLEMS", "REPORT_COLUMNS", "report_rows"]

MAX_PROBLEMS = 5000
MAX_VALUE_CHARS = 100
ERROR, WARNING = "error", "warning"


class Refused(Exception):
    """The file is refused whole; the message says why, in plain English."""


@dataclass(frozen=True, slots=True)
class Problem:
    severity: str  # error (the row is rejected) or warning (the row is kept)
    column: str | None
    value: Any
    message: str


def shown(value: Any) -> str | None:
    """A value as the report shows it: text, cut short."""
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


@dataclass
class Report:
    file_format: str | None = None
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    notes: list[str] = field(default_factory=list)
    children: dict[str, int] = field(
        default_factory=lambda: {"added": 0, "changed": 0, "unchanged": 0}
    )
    events: dict[str, int] = field(
        default_factory=lambda: {"added": 0, "changed": 0, "unchanged": 0}
    )
    cap: int = MAX_PROBLEMS

    def add_list(self, key: str, label: str) -> None:
        self.lists.setdefault(
            key, {"label": label, "read": 0, "accepted": 0, "rejected": 0, "warned": 0}
        )

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def problem(self, sheet: str, row: int | None, problem: Problem) -> None:
        if problem.severity == ERROR:
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.problems) < self.cap:
            self.problems.append(
                {
                    "severity": problem.severity,
                    "sheet": sheet,
                    "row": row,
                    "column": problem.column,
                    "value": shown(problem.value),
                    "message": problem.message,
                }
            )

    def count(self, key: str, *, rejected: bool, warned: bool) -> None:
        counts = self.lists[key]
        counts["read"] += 1
        if rejected:
            counts["rejected"] += 1
        else:
            counts["accepted"] += 1
            counts["warned"] += int(warned)

    def add_warning_to_accepted(self, key: str) -> None:
        """A row already counted as clean turned out to deserve a warning (a duplicate)."""
        self.lists[key]["warned"] += 1

    @property
    def rows_read(self) -> int:
        return sum(c["read"] for c in self.lists.values())

    @property
    def rows_rejected(self) -> int:
        return sum(c["rejected"] for c in self.lists.values())

    @property
    def rows_warned(self) -> int:
        return sum(c["warned"] for c in self.lists.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.file_format,
            "lists": self.lists,
            "problems": self.problems,
            "problems_total": {"error": self.errors, "warning": self.warnings},
            "problems_truncated": self.errors + self.warnings > len(self.problems),
            "notes": self.notes,
            "children": self.children,
            "events": self.events,
            "rows": {
                "read": self.rows_read,
                "rejected": self.rows_rejected,
                "warned": self.rows_warned,
            },
        }


REPORT_COLUMNS = ("severity", "sheet", "row", "column", "value", "message")


def report_rows(report: dict[str, Any] | None) -> Iterator[list[Any]]:
    """The report as rows for a CSV: a summary per list, then every stored problem."""
    report = report or {}
    yield ["list", "label", "read", "accepted", "rejected", "accepted with warnings"]
    for key, c in (report.get("lists") or {}).items():
        yield [key, c["label"], c["read"], c["accepted"], c["rejected"], c["warned"]]
    yield []
    for note in report.get("notes") or []:
        yield ["note", note]
    yield []
    yield list(REPORT_COLUMNS)
    for p in report.get("problems") or []:
        yield [p.get(k) for k in REPORT_COLUMNS]
    if report.get("problems_truncated"):
        total = report["problems_total"]
        yield [
            f"Only the first {len(report['problems']):,} problems are listed "
            f"({total['error']:,} errors and {total['warning']:,} warnings in all)."
        ]
