"""Exact row counts of the big tables on PostgreSQL, kept by triggers (``RowTally``).

Statement-level triggers on ``child`` and ``journeysummary`` add the rows each INSERT
(or COPY) adds and take off the rows each DELETE removes, cascades included, and set
the tally to 0 on TRUNCATE; the update is part of the writing transaction, so it
commits or rolls back with the rows.  A tally row that is missing (a new database, or
its row deleted) is started from a full count by the next write, and until then
:func:`tallies` leaves that table out, so the caller counts it itself.

Installed by ``create_all`` (an ``after_create`` hook on the metadata) and by the
migration that added the table; nothing on SQLite.
"""

from sqlalchemy import Connection, select, text

from .models import RowTally

__all__ = ["TALLIED", "install", "tallies"]

#: The tables whose rows are tallied.
TALLIED = ("child", "journeysummary")

_FUNCTION = """
CREATE OR REPLACE FUNCTION frontdoor_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change bigint;
    started integer;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE rowtally SET rows = 0 WHERE name = TG_TABLE_NAME;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO change FROM tally_rows;
    ELSE
        SELECT -count(*) INTO change FROM tally_rows;
    END IF;
    IF change = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE rowtally SET rows = rows + change WHERE name = TG_TABLE_NAME;
    IF NOT FOUND THEN
        -- No tally yet: start it from a full count, which sees this statement's rows.
        EXECUTE format(
            'INSERT INTO rowtally (name, rows) SELECT %L, count(*) FROM %I '
            'ON CONFLICT (name) DO NOTHING', TG_TABLE_NAME, TG_TABLE_NAME);
        GET DIAGNOSTICS started = ROW_COUNT;
        IF started = 0 THEN  -- another transaction started it meanwhile: add to it
            UPDATE rowtally SET rows = rows + change WHERE name = TG_TABLE_NAME;
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""


def _triggers(table: str) -> list[str]:
    return [
        f'DROP TRIGGER IF EXISTS {table}_tally_insert ON "{table}"',
        f'DROP TRIGGER IF EXISTS {table}_tally_delete ON "{table}"',
        f'DROP TRIGGER IF EXISTS {table}_tally_truncate ON "{table}"',
        f'CREATE TRIGGER {table}_tally_insert AFTER INSERT ON "{table}" '
        "REFERENCING NEW TABLE AS tally_rows FOR EACH STATEMENT EXECUTE FUNCTION frontdoor_tally()",
        f'CREATE TRIGGER {table}_tally_delete AFTER DELETE ON "{table}" '
        "REFERENCING OLD TABLE AS tally_rows FOR EACH STATEMENT EXECUTE FUNCTION frontdoor_tally()",
        f'CREATE TRIGGER {table}_tally_truncate AFTER TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION frontdoor_tally()",
    ]


def install(conn: Connection) -> None:
    """Create (or replace) the function and triggers, and start each tally from a count."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text(_FUNCTION))
    # Writers wait while the triggers change and the tallies start from a count.
    conn.execute(text(f"LOCK TABLE {', '.join(TALLIED)} IN SHARE ROW EXCLUSIVE MODE"))
    for table in TALLIED:
        for statement in _triggers(table):
            conn.execute(text(statement))
        conn.execute(
            text(
                f"INSERT INTO rowtally (name, rows) SELECT '{table}', count(*) FROM \"{table}\" "
                "ON CONFLICT (name) DO UPDATE SET rows = excluded.rows"
            )
        )


def tallies(conn) -> dict[str, int]:
    """The tallied tables' row counts (PostgreSQL; an empty dict elsewhere), as of the
    caller's snapshot; a table with no tally yet is left out."""
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn
    if bind.dialect.name != "postgresql":
        return {}
    t = RowTally.__table__.c
    return dict(conn.execute(select(t.name, t.rows).where(t.name.in_(TALLIED))).all())
