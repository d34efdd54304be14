"""The database engine and the one session per request.

SQLite gets WAL, foreign keys and a busy timeout on every connection; PostgreSQL
is reached through ``postgresql+psycopg://`` URLs.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

__all__ = [
    "make_engine",
    "get_session",
    "engine",
    "session_scope",
    "is_sqlite",
    "write_intent",
    "refresh_statistics",
]

BUSY_TIMEOUT_MS = 15000


def is_sqlite(url_or_engine) -> bool:
    url = getattr(url_or_engine, "url", url_or_engine)
    return str(url).startswith("sqlite")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: True while serving a request that changes data (POST): its SQLite transactions begin
#: IMMEDIATE, taking the write lock up front and queueing for it (busy timeout).  A
#: deferred transaction that read first cannot take the lock once another writer has
#: committed: SQLite then fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT).
write_intent: ContextVar[bool] = ContextVar("frontdoor_write_intent", default=False)


def _sqlite_begin(conn) -> None:
    # pysqlite's own transaction handling defers BEGIN; issue it ourselves so that
    # every transaction (and its write lock) starts where SQLAlchemy thinks it does.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the project's connection settings."""
    if is_sqlite(url):
        eng = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(eng, "connect", _sqlite_pragmas)

        @event.listens_for(eng, "connect")
        def _no_autobegin(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        event.listen(eng, "begin", _sqlite_begin)
        return eng
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["frontdoor_engine"]


def get_session() -> Session:
    """The request's database session, opened on first use and closed on teardown."""
    if "db" not in g:
        g.db = Session(engine(), expire_on_commit=False)
    return g.db


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session outside a request (CLI, background work)."""
    with Session(engine(app), expire_on_commit=False) as session:
        yield session


def close_session(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


#: The tables a bulk load changes; their planner statistics are refreshed after it.
LOADED_TABLES = ("child", "event", "journeysummary", "summarycode")


def refresh_statistics(eng: Engine, tables: tuple[str, ...] = LOADED_TABLES) -> None:
    """PostgreSQL: ``VACUUM (ANALYZE)`` the tables a bulk load changed.

    ANALYZE tells the planner their size; VACUUM clears the old row versions a rebuild
    leaves and sets the visibility map, so counts and index-only scans stay cheap (at
    150,000 children the case list's count went from 200 ms to 16 ms).  Autovacuum would
    get there in its own time, or never on a server that runs it off.  Run outside a
    transaction (VACUUM cannot run in one); it blocks nobody's reads or writes.  SQLite
    keeps no statistics unless asked (``ANALYZE`` there takes the write lock for a full
    index scan) and its queries are written for the plans it makes without them, so
    nothing is done there.
    """
    if is_sqlite(eng):
        return
    from sqlalchemy import inspect, text

    present = set(inspect(eng).get_table_names())
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            if table in present:
                conn.execute(text(f'VACUUM (ANALYZE) "{table}"'))
