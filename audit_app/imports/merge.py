"""Diff the staged rows against the database (reads only), then write them in one transaction.

Records match on the child ID, and events on (child, kind, start date, occurrence),
the ``uq_event_natural`` key.  A value the file gives replaces the stored one; a value
the file leaves blank keeps it; nothing is deleted because a later file lacks it.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, bindparam, insert, select, text, update

from journeys import EVENT_FIELDS

from .. import bulk
from ..bulk import Copy, processors, stored
from ..models import Child, Event
from .report import Report
from .staging import Stage, load_child, load_event_data

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
                if old is None:  # its row is built from the staged attributes when written
                    child_marks.append(("insert", None, None, ref))
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

            # A new child's events are all new: marked at once, their data left unread.
            new_refs = [ref for ref in refs if ref not in stored]
            if new_refs:
                marks = ",".join("?" * len(new_refs))
                added = stage.db.execute(
                    f"UPDATE ev SET action='insert' WHERE ref IN ({marks})", new_refs
                ).rowcount
                report.events["added"] += added
            ids = {old.id: ref for ref, old in stored.items()}
            existing: dict[tuple, Any] = {}
            if ids:
                for r in conn.execute(select(EVENT_T).where(EVENT_T.c.child_id.in_(list(ids)))):
                    existing[(ids[r.child_id], r.kind, r.start_date, r.occurrence)] = r
            event_marks = []
            for seq, ref, kind, start, occ, data in stage.events_of(list(stored)):
                old = existing.get((ref, kind, start, occ))
                if old is None:  # its row is built from the staged data when written
                    event_marks.append(("insert", None, None, seq))
                    touched.add(ref)
                    report.events["added"] += 1
                    continue
                staged = {"end_date": data.get("end"), **data["f"]}
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


def _execute(conn: Connection, statement: Any, rows: list) -> None:
    """Every bulk write goes through here (executemany or COPY), so a test can fail one
    mid-way."""
    if not rows:
        return
    if isinstance(statement, Copy):
        statement.send(conn, rows)
        return
    conn.execute(statement, rows)


CHILD_INSERT = ("child_ref", *CHILD_COLUMNS, "batch_id", "updated_at")
CHILD_UPDATE = (*CHILD_COLUMNS, "batch_id", "updated_at")
EVENT_INSERT = ("kind", "start_date", "occurrence", *EVENT_COLUMNS, "batch_id")
EVENT_UPDATE = (*EVENT_COLUMNS, "batch_id")


def _child_rows(chunk: list[tuple], key: str, batch_id: int | None, now: datetime) -> list[dict]:
    """Staged changed children (``(key, merged)``) as the column values the write stores."""
    return [
        {key: k, **_loads(m, CHILD_DATES), "batch_id": batch_id, "updated_at": now}
        for k, m in chunk
    ]


def _new_child(attrs: str, raw: str) -> dict[str, Any]:
    """A new child's column values from its staged attributes (the rest None)."""
    values = load_child(attrs)
    row = {name: values.get(name) for name in CHILD_COLUMNS[:-1]}
    row["raw"] = json.loads(raw) or None
    return row


def _new_children(chunk: list[tuple], batch_id: int | None, now: datetime) -> list[dict]:
    """Staged new children (``(ref, attrs, raw)``) as the column values the write stores."""
    return [
        {"child_ref": ref, **_new_child(attrs, raw), "batch_id": batch_id, "updated_at": now}
        for ref, attrs, raw in chunk
    ]


def _new_event(start: str, occ: int, text: str, *, every: bool = True) -> dict[str, Any]:
    """A new event's column values from its staged data: what the file gives, and None
    for every other column (``every=False``: only what the file gives, for ``bulk.stored``)."""
    data = load_event_data(text)
    given = {"end_date": data.get("end"), **data["f"]}
    row = {name: given.get(name) for name in EVENT_COLUMNS[:-2]} if every else given
    row["details"] = data["d"] or None
    row["raw"] = data["r"] or None
    row["start_date"] = date.fromisoformat(start)
    row["occurrence"] = occ
    return row


def _event_inserts(chunk: list[tuple], batch_id: int | None, *, every: bool = True) -> list[dict]:
    """Staged new events (``(child, kind, start, occ, data)``) as column values."""
    return [
        {
            "child_id": child,
            "kind": kind,
            **_new_event(start, occ, text, every=every),
            "batch_id": batch_id,
        }
        for child, kind, start, occ, text in chunk
    ]


def _event_updates(chunk: list[tuple], batch_id: int | None) -> list[dict]:
    return [{"_id": i, **_loads(m, EVENT_DATES), "batch_id": batch_id} for i, m in chunk]


_NEW_CHILDREN = "SELECT ref, attrs, raw FROM ch WHERE action='insert' ORDER BY ref"
_CHANGED_CHILDREN = "SELECT db_id, merged FROM ch WHERE action='update' ORDER BY db_id"
_NEW_EVENTS = (
    "SELECT {child}, ev.kind, ev.start, ev.occ, ev.data FROM ev {join}"
    "WHERE ev.action='insert' ORDER BY ev.seq"
)
_CHANGED_EVENTS = "SELECT db_id, merged FROM ev WHERE action='update' ORDER BY db_id"


def write(stage: Stage, conn: Connection, batch_id: int | None) -> None:
    """Write the staged inserts and updates on ``conn``, inside the caller's transaction.

    After :func:`prepare` (SQLite) the rows are already in the database's storage form
    in the stage, attached to ``conn`` (:func:`attached`): a few set-based statements
    copy them.  Otherwise (PostgreSQL) the rows are sent from Python: new ones by
    ``COPY``, changed ones by executemany.
    """
    if stage.prepared:
        _write_attached(conn, stage)
        return
    now = datetime.now(UTC)
    copying = bulk.COPY_ROWS and conn.dialect.name == "postgresql"
    new_child = Copy(CHILD_T, CHILD_INSERT, conn.dialect) if copying else insert(CHILD_T)
    cursor = stage.db.execute(_NEW_CHILDREN)
    while chunk := cursor.fetchmany(CHUNK):
        rows = _new_children(chunk, batch_id, now)
        if copying:
            rows = stored(rows, None, new_child.columns, new_child.procs)
        _execute(conn, new_child, rows)
    new_refs = [r for (r,) in stage.db.execute("SELECT ref FROM ch WHERE action='insert'")]
    for start in range(0, len(new_refs), CHUNK):
        refs = new_refs[start : start + CHUNK]
        new_ids = conn.execute(
            select(CHILD_T.c.child_ref, CHILD_T.c.id).where(CHILD_T.c.child_ref.in_(refs))
        ).all()
        stage.db.executemany("UPDATE ch SET db_id=? WHERE ref=?", [(i, r) for r, i in new_ids])

    child_update = update(CHILD_T).where(CHILD_T.c.id == bindparam("_id"))
    cursor = stage.db.execute(_CHANGED_CHILDREN)
    while chunk := cursor.fetchmany(CHUNK):
        _execute(conn, child_update, _child_rows(chunk, "_id", batch_id, now))

    cursor = stage.db.execute(
        _NEW_EVENTS.format(child="ch.db_id", join="JOIN ch ON ch.ref = ev.ref ")
    )
    new_event = (
        Copy(EVENT_T, ("child_id", *EVENT_INSERT), conn.dialect) if copying else insert(EVENT_T)
    )
    while chunk := cursor.fetchmany(CHUNK * 2):
        if copying:
            rows = _event_inserts(chunk, batch_id, every=False)
            _execute(conn, new_event, stored(rows, None, new_event.columns, new_event.procs))
        else:
            _execute(conn, new_event, _event_inserts(chunk, batch_id))

    event_update = update(EVENT_T).where(EVENT_T.c.id == bindparam("_id"))
    cursor = stage.db.execute(_CHANGED_EVENTS)
    while chunk := cursor.fetchmany(CHUNK * 2):
        _execute(conn, event_update, _event_updates(chunk, batch_id))


# -- SQLite: rows prepared in the stage, copied by set-based statements ----------------

#: The stage's name on the app database's connection while it is attached.
STAGE_SCHEMA = "fd_import_stage"
#: Rows per set-based statement of the attached write (each goes through ``_execute``).
SET_CHUNK = 10_000
#: The page cache of the final transaction's connection (-KiB): 256 MiB, used as needed.
MERGE_CACHE_KIB = -262144
#: Off: SQLite takes the generic path too (the tests compare the two).
ATTACHED_WRITE = True

#: (stage table, main table, key column, value columns) of the four prepared row sets.
_PREPARED = (
    ("new_child", CHILD_T, None, CHILD_INSERT),
    ("changed_child", CHILD_T, "db_id", CHILD_UPDATE),
    ("new_event", EVENT_T, "ref", EVENT_INSERT),
    ("changed_event", EVENT_T, "db_id", EVENT_UPDATE),
)


def can_prepare(engine: Engine) -> bool:
    """True where :func:`prepare` and the attached write apply: SQLite with UPDATE FROM."""
    return (
        ATTACHED_WRITE
        and engine.dialect.name == "sqlite"
        and engine.dialect.dbapi is not None
        and engine.dialect.dbapi.sqlite_version_info >= (3, 33, 0)
    )


def prepare(stage: Stage, dialect: Dialect, batch_id: int | None) -> None:
    """Turn the staged inserts and updates into rows in the app database's storage form.

    Runs before the final transaction, with no lock on the app database: the JSON of
    the diff is decoded and every value passed through the column's bind processor
    for ``dialect`` (dates, datetimes, booleans, JSON and its None), exactly what the
    generic :func:`write` would send.  The rows go to untyped stage tables, which keep
    each value's storage class, so ``INSERT ... SELECT`` stores what binding would.
    """
    now = datetime.now(UTC)
    db = stage.db
    for name, _table, key, columns in _PREPARED:
        lead = [key] if key else []
        db.execute(f"DROP TABLE IF EXISTS {name}")
        db.execute(f"CREATE TABLE {name} ({', '.join([*lead, *columns])})")
    sources = (
        (_NEW_CHILDREN, CHUNK, lambda c: _new_children(c, batch_id, now), None),
        (_CHANGED_CHILDREN, CHUNK, lambda c: _child_rows(c, "db_id", batch_id, now), "db_id"),
        (
            _NEW_EVENTS.format(child="ev.ref", join=""),
            CHUNK * 2,
            lambda c: _event_inserts(c, batch_id, every=False),
            "child_id",
        ),
        (_CHANGED_EVENTS, CHUNK * 2, lambda c: _event_updates(c, batch_id), "_id"),
    )
    for (name, table, _key, columns), (sql, size, build, lead) in zip(
        _PREPARED, sources, strict=True
    ):
        procs = processors(table, columns, dialect)
        marks = ", ".join("?" * (len(columns) + (lead is not None)))
        cursor = db.execute(sql)
        while chunk := cursor.fetchmany(size):
            rows = stored(build(chunk), lead, columns, procs)
            db.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    db.commit()
    stage.prepared = True


@contextmanager
def attached(engine: Engine, stage: Stage) -> Iterator[Connection]:
    """A connection to the app database with the prepared stage attached (read only use).

    ATTACH and DETACH cannot run inside a transaction: the caller begins and ends its
    transaction inside this block.  The stage is detached before the connection goes
    back to the pool; a connection that cannot detach is discarded instead.
    """
    with engine.connect() as conn:
        if not stage.prepared:
            yield conn
            return
        raw = conn.connection.dbapi_connection
        (cache,) = raw.execute("PRAGMA cache_size").fetchone()
        raw.execute(f"ATTACH DATABASE ? AS {STAGE_SCHEMA}", (str(stage.path),))
        try:
            # The indexes of a big load fit in memory instead of spilling mid-transaction.
            raw.execute(f"PRAGMA main.cache_size={MERGE_CACHE_KIB}")
            yield conn
        finally:
            try:
                if conn.in_transaction():
                    conn.rollback()
                raw.execute(f"DETACH DATABASE {STAGE_SCHEMA}")
                raw.execute(f"PRAGMA main.cache_size={int(cache)}")  # frees the pages
            except Exception:
                conn.invalidate()  # never back to the pool still attached
                raise


def _ranges(conn: Connection, table: str) -> Iterator[dict[str, int]]:
    (last,) = conn.exec_driver_sql(f"SELECT max(rowid) FROM {STAGE_SCHEMA}.{table}").one()
    for lo in range(1, (last or 0) + 1, SET_CHUNK):
        yield {"lo": lo, "hi": lo + SET_CHUNK - 1}


def _write_attached(conn: Connection, stage: Stage) -> None:
    """The final transaction on SQLite: copy the prepared rows, a range of rows at a time."""
    s = STAGE_SCHEMA
    statements = []
    for name, table, key, columns in _PREPARED:
        t = table.name
        cols = ", ".join(columns)
        if key is None:
            sql = (
                f"INSERT INTO main.{t} ({cols}) SELECT {cols} FROM {s}.{name} "
                "WHERE rowid BETWEEN :lo AND :hi ORDER BY rowid"
            )
        elif key == "ref":  # new events: their child's id, new or old, by its reference
            picked = ", ".join(f"p.{c}" for c in columns)
            sql = (
                f"INSERT INTO main.{t} (child_id, {cols}) SELECT c.id, {picked} "
                f"FROM {s}.{name} AS p LEFT JOIN main.child AS c ON c.child_ref = p.ref "
                "WHERE p.rowid BETWEEN :lo AND :hi ORDER BY p.rowid"
            )
        else:
            sets = ", ".join(f"{c} = p.{c}" for c in columns)
            sql = (
                f"UPDATE main.{t} AS t SET {sets} FROM {s}.{name} AS p "
                "WHERE t.id = p.db_id AND p.rowid BETWEEN :lo AND :hi"
            )
        statements.append((name, text(sql)))
    for name, statement in statements:
        rebuilt = _drop_scattered_indexes(conn) if name == "new_event" else []
        for bounds in _ranges(conn, name):
            _execute(conn, statement, [bounds])
        for ddl in rebuilt:  # sorted once: quicker than a million scattered inserts
            conn.exec_driver_sql(ddl)


def _drop_scattered_indexes(conn: Connection) -> list[str]:
    """Drop the event indexes led by the event type when the new events are at least as
    many as the stored ones (a first load, or one that doubles the events).

    New events come child by child, so these indexes (type, start date, ...) would take
    each row at a random place; building them afresh at the end sorts once instead.
    Inside the transaction: a failure or a kill restores them with everything else.
    Returns their exact ``CREATE INDEX`` statements, to run after the inserts.
    """
    (new,) = conn.exec_driver_sql(f"SELECT count(*) FROM {STAGE_SCHEMA}.new_event").one()
    (stored,) = conn.exec_driver_sql(
        "SELECT count(*) FROM (SELECT 1 FROM main.event LIMIT ?)", (new + 1,)
    ).one()
    if not new or stored > new:
        return []
    names = [
        ix.name for ix in EVENT_T.indexes if not ix.unique and next(iter(ix.columns)).name == "kind"
    ]
    ddl = []
    for index_name, sql in conn.exec_driver_sql(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = 'event'"
    ).all():
        if index_name in names and sql:
            ddl.append(sql)
            conn.exec_driver_sql(f'DROP INDEX main."{index_name}"')
    return ddl


# load_event_data is re-exported for the tests' convenience.
__all__ += ["changed_children", "load_event_data", "prepare", "attached", "can_prepare"]
