"""The staged row every reader yields, and the builder that parses one row's cells.

A reader turns one line of a file (a sheet row, a CSV line, an XML element) into a
:class:`Row`: the child's attributes, the events it gives, and its problems.  An
error rejects the row; warnings keep it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .normalise import (
    BAD,
    CODED,
    MAPPED,
    MAX_CELL,
    Parsed,
    clean_text,
    to_bool,
    to_code,
    to_date,
    to_int,
)
from .report import ERROR, WARNING, Problem

__all__ = ["StagedEvent", "Row", "RowBuilder", "CHILD_ATTRS"]

CHILD_ATTRS = ("sex", "ethnicity", "dob", "expected_dob", "disability", "uasc")

#: Column widths of the event table: longer text is cut, with a warning.
TEXT_LIMITS = {
    "source": 16,
    "outcome": 200,
    "organisation": 200,
    "team": 200,
    "worker": 200,
    "factors": 400,
    "primary_need": 16,
    "reason": 200,
    "case_status": 100,
    "category_initial": 32,
    "category_latest": 32,
    "reviews": 2000,
    "category_of_need": 16,
    "legal_status": 16,
    "placement_type": 16,
    "placement_provider": 16,
    "placement_location": 64,
    "ethnicity": 8,
    "sex": 8,
}
RAW_LIMIT = 500


@dataclass
class StagedEvent:
    kind: str
    start: date
    end: date | None = None
    occurrence: int | None = None  # None: numbered by order of appearance
    fields: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    list_key: str
    sheet: str
    number: int
    child_ref: str | None = None
    child: dict[str, Any] = field(default_factory=dict)
    child_raw: dict[str, Any] = field(default_factory=dict)
    events: list[StagedEvent] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    @property
    def warned(self) -> bool:
        return any(p.severity == WARNING for p in self.problems)


def _text(value: Any) -> Parsed:
    text = clean_text(value)
    return Parsed(text, "exact" if text else "blank")


_PARSERS: dict[str, Callable[[Any], Parsed]] = {}


def parser_of(kind: str) -> Callable[[Any], Parsed]:
    """The parser of ``kind``, made once per kind."""
    parser = _PARSERS.get(kind)
    if parser is None:
        parser = _PARSERS[kind] = _make_parser(kind)
    return parser


def _make_parser(kind: str) -> Callable[[Any], Parsed]:
    if kind == "date":
        return to_date
    if kind == "int":
        return to_int
    if kind == "bool":
        return to_bool
    if kind == "yn":
        return lambda v: to_bool(v, yn_exact=True)
    if kind == "text":
        return _text
    return lambda v: to_code(kind, v)


DESCRIBE = {
    "date": "a date",
    "int": "a whole number",
    "bool": "yes or no",
    "yn": "Y or N",
    "text": "text",
}


_READ_AS_CODE = frozenset({CODED, MAPPED})


class RowBuilder:
    """Parses the cells of one row, recording plain-English problems as it goes."""

    def __init__(self, row: Row):
        self.row = row

    def error(self, column: str | None, value: Any, message: str) -> None:
        self.row.problems.append(Problem(ERROR, column, value, message))

    def warn(self, column: str | None, value: Any, message: str) -> None:
        self.row.problems.append(Problem(WARNING, column, value, message))

    def too_long(self, column: str, value: Any) -> bool:
        if isinstance(value, str) and len(value) > MAX_CELL:
            self.error(
                column,
                value,
                f"{column} holds {len(value):,} characters; a cell may hold at most {MAX_CELL:,}",
            )
            return True
        return False

    def parse(
        self,
        column: str,
        value: Any,
        kind: str,
        *,
        required: bool = False,
        raw: dict[str, Any] | None = None,
        name: str | None = None,
        parser: Callable[[Any], Parsed] | None = None,
    ) -> Any:
        """The stored value of ``value``, or None; warns or errors as the value deserves.

        ``parser`` is ``parser_of(kind)``, when the caller has it at hand already.
        """
        if not required and (value is None or value == ""):
            # Most cells are empty: every parser reads them as blank, with no problem.
            return None
        if isinstance(value, str) and len(value) > MAX_CELL and self.too_long(column, value):
            return None
        parsed = (parser or parser_of(kind))(value)
        if parsed.how == BAD:
            what = DESCRIBE.get(kind, "one of the codes for this column")
            text = clean_text(value)
            if required:
                self.error(column, value, f"{column} '{text}' is not {what}")
            else:
                self.warn(column, value, f"{column} '{text}' is not {what}; left blank")
                if raw is not None and name:
                    raw[name] = text[:RAW_LIMIT] if text else text
            return None
        if parsed.value is None:
            if required:
                self.error(column, value, f"{column} is missing")
            return None
        if parsed.how == MAPPED:
            self.warn(
                column,
                value,
                f"{column} '{clean_text(value)}' is not a coded value; read as '{parsed.label}'",
            )
        if raw is not None and name and parsed.how in _READ_AS_CODE:
            text = clean_text(value)
            if text is not None and text != str(parsed.value):
                raw[name] = text[:RAW_LIMIT]
        result = parsed.value
        limit = TEXT_LIMITS.get(name or "")
        if isinstance(result, str) and limit and len(result) > limit:
            self.warn(column, value, f"{column} is longer than {limit} characters; cut short")
            result = result[:limit]
        elif isinstance(result, str) and len(result) > 2000:
            self.warn(column, value, f"{column} is longer than 2,000 characters; cut short")
            result = result[:2000]
        return result
