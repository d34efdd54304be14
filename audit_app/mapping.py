"""The one place where database rows become ``journeys`` domain objects."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from journeys import EVENT_FIELDS
from journeys import Child as DomainChild
from journeys import Event as DomainEvent

from .models import Child, Event

__all__ = [
    "to_child",
    "to_event",
    "to_events",
    "event_from_mapping",
    "event_from_row",
    "ROW_COLUMNS",
]

_EVENT_COLUMNS = ("id", "kind", "start_date", "end_date", "occurrence", *EVENT_FIELDS, "details")
#: The event columns :func:`event_from_row` reads, in this order.
ROW_COLUMNS = ("kind", "start_date", "end_date", "occurrence", *EVENT_FIELDS, "details")
_FIELDS = tuple(EVENT_FIELDS)
_LAST_FIELD = 4 + len(_FIELDS)


def to_child(row: Child) -> DomainChild:
    return DomainChild(
        child_id=row.child_ref,
        sex=row.sex,
        ethnicity=row.ethnicity,
        dob=row.dob,
        expected_dob=row.expected_dob,
        disability=row.disability,
        uasc=row.uasc,
    )


def event_from_mapping(row: Mapping[str, Any]) -> DomainEvent:
    """An event from a row mapping with the event table's column names (Core or ORM)."""
    attrs = {name: row[name] for name in EVENT_FIELDS if row.get(name) is not None}
    details = row.get("details")
    if details:
        attrs.update({k: v for k, v in details.items() if k not in attrs})
    return DomainEvent(
        kind=row["kind"],
        start=row["start_date"],
        end=row.get("end_date"),
        occurrence=row.get("occurrence") or 0,
        attrs=attrs,
        ref=row.get("id"),
    )


def event_from_row(row: Sequence[Any]) -> DomainEvent:
    """The event of a tuple of ``ROW_COLUMNS`` values: ``event_from_mapping`` without names.

    For the bulk rebuild, which reads a million of them; the event has no ``ref``.
    """
    attrs = {
        name: value
        for name, value in zip(_FIELDS, row[4:_LAST_FIELD], strict=True)
        if value is not None
    }
    details = row[_LAST_FIELD]
    if details:
        attrs.update({k: v for k, v in details.items() if k not in attrs})
    return DomainEvent(row[0], row[1], row[2], row[3] or 0, attrs)


def to_event(row: Event) -> DomainEvent:
    return event_from_mapping({name: getattr(row, name) for name in _EVENT_COLUMNS})


def to_events(rows: Iterable[Event]) -> list[DomainEvent]:
    return [to_event(row) for row in rows]
