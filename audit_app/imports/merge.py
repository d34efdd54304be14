"""Diff the staged rows against the database (reads only), then write them in one transaction.

Records match on the child ID, and events on (child, kind, start date, occurrence),
the ``uq_event_natural`` key.  A value the file gives replaces the stored one; a value
the file leaves blank keeps it; nothing is deleted because a later file lacks it.
"""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from journeys import EVENT_FIELDS

from ..models import Child, Event
from .report import Report
from .staging import Stage, load_event_data

__all__ = ["diff", "write", "CHUNK"]

CHUNK = 1000
CHILD_T = Child.__table__
EVENT_T = Event.__table__
EVENT_COLUMNS = ("end_date", *EVENT_FIELDS, "details", "raw")
CHILD_COLUMNS = ("sex", "ethnicity", "dob", "expected_dob", "disability", "uasc", "raw")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _dumps(row: dict[str, Any]) -> str:
    return json.dumps({k: _iso(v) for k, v in row.items()}, sort_keys=True)


def _loads(text: str, date_names: set[str]) -> dict[str, Any]:
    row = json.loads(text)
    for name in date_names & row.keys():
        if row[name]:
            row[name] = date.fromisoformat(row[name])
    return row


CHILD_DATES = {"dob", "expected_dob"}
EVENT_DATES = {"end_date"} | {n for n, kind in EVENT_FIELDS.items() if kind is date}


def _merged_json(old: dict | None, new: dict) -> dict | None:
    merged = {**(old or {}), **new}
    return merged or None


def diff(
    stage: Stage, engine: Engine, report: Report, progress: Callable[[str], None] | None = None
) -> None:
    """Mark every staged child and event as insert, update or same (reads the database only)."""
    done = 0
    with engine.connect() as conn:
        for chunk in stage.child_chunks(CHUNK):
            refs = [ref for ref, _, _ in chunk]
            stored = {
                r.child_ref: r
                for r in conn.execute(select(CHILD_T).where(CHILD_T.c.child_ref.in_(refs)))
            }
            touched: set[str] = set()
            child_marks = []
            for ref, attrs, raw in chunk:
                old = stored.get(ref)
                if old is None:
                    row = {name: attrs.get(name) for name in CHILD_COLUMNS[:-1]}
                    row["raw"] = raw or None
                    child_marks.append(("insert", None, _dumps(row), ref))
                    touched.add(ref)
                    report.children["added"] += 1
                    continue
                current = {name: getattr(old, name) for name in CHILD_COLUMNS}
                merged = dict(current)
                merged.update({k: v for k, v in attrs.items() if v is not None})
                merged["raw"] = _merged_json(old.raw, raw)
                if merged != current:
                    child_marks.append(("update", old.id, _dumps(merged), ref))
                    touched.add(ref)
                    report.children["changed"] += 1
                else:
                    child_marks.append(("same", old.id, None, ref))
                    report.children["unchanged"] += 1
            stage.db.executemany(
                "UPDATE ch SET action=?, db_id=?, merged=? WHERE ref=?", child_marks
            )

            ids = {old.id: ref for ref, old in stored.items()}
            existing: dict[tuple, Any] = {}
            if ids:
                for r in conn.execute(select(EVENT_T).where(EVENT_T.c.child_id.in_(list(ids)))):
                    existing[(ids[r.child_id], r.kind, r.start_date, r.occurrence)] = r
            event_marks = []
            for seq, ref, kind, start, occ, data in stage.events_of(refs):
                old = existing.get((ref, kind, start, occ))
                staged = {"end_date": data.get("end"), **data["f"]}
                if old is None:
                    row = {name: staged.get(name) for name in EVENT_COLUMNS[:-2]}
                    row["details"] = data["d"] or None
                    row["raw"] = data["r"] or None
                    event_marks.append(("insert", None, _dumps(row), seq))
                    touched.add(ref)
                    report.events["added"] += 1
                    continue
                current = {name: getattr(old, name) for name in EVENT_COLUMNS}
                merged = dict(current)
                merged.update({k: v for k, v in staged.items() if v is not None})
                merged["details"] = _merged_json(old.details, data["d"])
                merged["raw"] = _merged_json(old.raw, data["r"])
                if merged != current:
                    event_marks.append(("update", old.id, _dumps(merged), seq))
                    touched.add(ref)
                    report.events["changed"] += 1
                else:
                    event_marks.append(("same", old.id, None, seq))
                    report.events["unchanged"] += 1
            stage.db.executemany(
                "UPDATE ev SET action=?, db_id=?, merged=? WHERE seq=?", event_marks
            )
            if touched:
                stage.db.executemany("UPDATE ch SET touched=1 WHERE ref=?", [(r,) for r in touched])
            done += len(chunk)
            if progress:
                progress(f"Compared {done:,} children with the database")
    stage.db.commit()


def changed_children(stage: Stage) -> list[str]:
    return [ref for (ref,) in stage.db.execute("SELECT ref FROM ch WHERE touched=1 ORDER BY ref")]


def _execute(conn: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Every bulk write goes through here (executemany), so a test can fail one mid-way."""
    if rows:
        conn.execute(statement, rows)


def write(stage: Stage, conn: Connection, batch_id: int | None) -> None:
    """Write the staged inserts and updates on ``conn``, inside the caller's transaction."""
    now = datetime.now(UTC)
    cursor = stage.db.execute("SELECT ref, merged FROM ch WHERE action='insert' ORDER BY ref")
    while chunk := cursor.fetchmany(CHUNK):
        rows = [
            {"child_ref": ref, **_loads(m, CHILD_DATES), "batch_id": batch_id, "updated_at": now}
            for ref, m in chunk
        ]
        _execute(conn, insert(CHILD_T), rows)
    new_refs = [r for (r,) in stage.db.execute("SELECT ref FROM ch WHERE action='insert'")]
    for start in range(0, len(new_refs), CHUNK):
        refs = new_refs[start : start + CHUNK]
        new_ids = conn.execute(
            select(CHILD_T.c.child_ref, CHILD_T.c.id).where(CHILD_T.c.child_ref.in_(refs))
        ).all()
        stage.db.executemany("UPDATE ch SET db_id=? WHERE ref=?", [(i, r) for r, i in new_ids])

    child_update = update(CHILD_T).where(CHILD_T.c.id == bindparam("_id"))
    cursor = stage.db.execute("SELECT db_id, merged FROM ch WHERE action='update'")
    while chunk := cursor.fetchmany(CHUNK):
        _execute(
            conn,
            child_update,
            [
                {"_id": i, **_loads(m, CHILD_DATES), "batch_id": batch_id, "updated_at": now}
                for i, m in chunk
            ],
        )

    cursor = stage.db.execute(
        "SELECT ch.db_id, ev.kind, ev.start, ev.occ, ev.merged FROM ev JOIN ch ON ch.ref = ev.ref "
        "WHERE ev.action='insert' ORDER BY ev.seq"
    )
    while chunk := cursor.fetchmany(CHUNK * 2):
        _execute(
            conn,
            insert(EVENT_T),
            [
                {
                    "child_id": child_id,
                    "kind": kind,
                    "start_date": date.fromisoformat(start),
                    "occurrence": occ,
                    **_loads(m, EVENT_DATES),
                    "batch_id": batch_id,
                }
                for child_id, kind, start, occ, m in chunk
            ],
        )

    event_update = update(EVENT_T).where(EVENT_T.c.id == bindparam("_id"))
    cursor = stage.db.execute("SELECT db_id, merged FROM ev WHERE action='update'")
    while chunk := cursor.fetchmany(CHUNK * 2):
        _execute(
            conn,
            event_update,
            [{"_id": i, **_loads(m, EVENT_DATES), "batch_id": batch_id} for i, m in chunk],
        )


# load_event_data is re-exported for the tests' convenience.
__all__ += ["changed_children", "load_event_data"]
