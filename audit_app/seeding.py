"""Write a synthetic authority from ``seed_cases`` straight into the database, in bulk."""

from collections.abc import Iterable

from sqlalchemy import Engine, insert, select

from journeys import EVENT_FIELDS
from journeys import Child as DomainChild
from journeys import Event as DomainEvent

from .models import Child, Event, Team

__all__ = ["child_row", "event_row", "load_cases", "load_teams"]

BATCH = 5000


def child_row(child: DomainChild) -> dict:
    return {
        "child_ref": child.child_id,
        "sex": child.sex,
        "ethnicity": child.ethnicity,
        "dob": child.dob,
        "expected_dob": child.expected_dob,
        "disability": child.disability,
        "uasc": child.uasc,
    }


def event_row(child_pk: int, event: DomainEvent) -> dict:
    row = {
        "child_id": child_pk,
        "kind": event.kind,
        "start_date": event.start,
        "end_date": event.end,
        "occurrence": event.occurrence,
    }
    for name in EVENT_FIELDS:
        row[name] = event.attrs.get(name)
    extra = {k: v for k, v in event.attrs.items() if k not in EVENT_FIELDS}
    row["details"] = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in extra.items()
    } or None
    return row


def load_teams(teams: Iterable, *, engine: Engine) -> int:
    rows = [{"name": t.name, "locality": t.locality} for t in teams]
    with engine.begin() as conn:
        existing = set(conn.execute(select(Team.name)).scalars())
        new = [r for r in rows if r["name"] not in existing]
        if new:
            conn.execute(insert(Team), new)
    return len(new)


def load_cases(cases: Iterable, *, engine: Engine) -> tuple[int, int]:
    """Insert children and their events in one transaction, then build their journey summaries.

    Returns (children, events).
    """
    from .summaries import rebuild_summaries

    n_children = n_events = 0
    loaded: list[int] = []
    with engine.begin() as conn:
        pending: list = []

        def flush() -> None:
            nonlocal n_events
            if not pending:
                return
            refs = [c.child.child_id for c in pending]
            conn.execute(insert(Child), [child_row(c.child) for c in pending])
            ids = dict(
                conn.execute(
                    select(Child.child_ref, Child.id).where(Child.child_ref.in_(refs))
                ).all()
            )
            loaded.extend(ids.values())
            events = [event_row(ids[c.child.child_id], e) for c in pending for e in c.events]
            if events:
                conn.execute(insert(Event), events)
            n_events += len(events)
            pending.clear()

        for case in cases:
            pending.append(case)
            n_children += 1
            if len(pending) >= BATCH // 5:
                flush()
        flush()
    rebuild_summaries(engine=engine, child_ids=loaded)
    return n_children, n_events
