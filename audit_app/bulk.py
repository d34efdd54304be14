"""Bulk inserts that store exactly what SQLAlchemy Core's executemany would.

Rows become tuples of the values Core binds (each column's own bind processor: dates,
booleans, JSON and how it stores None), so they can go to the driver without Core's
per-row work: by ``COPY ... FROM STDIN`` on PostgreSQL (:class:`Copy`), or into
SQLite's import stage (``imports.merge.prepare``).  :func:`insert_rows` is the one call
for callers that only want their rows in: COPY on PostgreSQL, the driver's executemany
on SQLite.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert

__all__ = ["Copy", "processors", "stored", "insert_rows", "COPY_ROWS", "DRIVER_ROWS"]

#: Off: PostgreSQL takes executemany too (the tests compare the two).
COPY_ROWS = True
#: Off: SQLite's rows go through Core's executemany too (the tests compare the two).
DRIVER_ROWS = True


def processors(table: Table, names: Sequence[str], dialect: Dialect) -> list:
    """The dialect's own bind processor of each column (None: the value goes as it is)."""
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]


def stored(
    rows: Sequence[Mapping[str, Any]], lead: str | None, names: Sequence[str], procs: list
) -> list[tuple]:
    """``rows`` as tuples of the values the driver is given, as Core would bind them
    (``lead``: a first value taken from each row as it is).

    A column a row leaves out, or gives as None, gets what its bind processor makes of
    None (JSON's ``null``, say), worked out once; a key that names no column is ignored.
    """
    blank = [None if proc is None else proc(None) for proc in procs]
    slots = {name: (i, proc) for i, (name, proc) in enumerate(zip(names, procs, strict=True))}
    out = []
    for row in rows:
        values = blank.copy()
        for name, value in row.items():
            if value is not None and (slot := slots.get(name)) is not None:
                i, proc = slot
                values[i] = value if proc is None else proc(value)
        out.append((row[lead], *values) if lead else tuple(values))
    return out


class Copy:
    """``COPY table (columns) FROM STDIN``: PostgreSQL's bulk load, for rows given as
    tuples of the values Core would bind (:func:`stored`)."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect):
        quote = dialect.identifier_preparer.quote
        self.columns = tuple(columns)
        self.procs = processors(table, self.columns, dialect)
        self.sql = f"COPY {quote(table.name)} ({', '.join(map(quote, self.columns))}) FROM STDIN"

    def __str__(self) -> str:
        return self.sql

    def send(self, conn: Connection, rows: Sequence[tuple]) -> None:
        """Load ``rows`` on ``conn``, inside the caller's transaction."""
        with conn.connection.dbapi_connection.cursor() as cursor:
            with cursor.copy(self.sql) as copy:
                for row in rows:
                    copy.write_row(row)


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` on ``conn``: by COPY on
    PostgreSQL, by the driver's own executemany on SQLite, through Core elsewhere; the
    stored values are the same."""
    if not rows:
        return
    names = tuple(rows[0])
    if COPY_ROWS and conn.dialect.name == "postgresql":
        copy = Copy(table, names, conn.dialect)
        copy.send(conn, stored(rows, None, copy.columns, copy.procs))
        return
    if DRIVER_ROWS and conn.dialect.name == "sqlite" and not _defaults_left(table, names):
        # Core's executemany spends more on each row's parameters than SQLite on the insert.
        quote = conn.dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        conn.exec_driver_sql(sql, stored(rows, None, names, processors(table, names, conn.dialect)))
        return
    conn.execute(insert(table), list(rows))


def _defaults_left(table: Table, names: Sequence[str]) -> bool:
    """Whether a column ``names`` leaves out has a default Core would fill in."""
    given = set(names)
    return any(c.default is not None and c.name not in given for c in table.columns)
