"""New rows go to the driver without Core's per-row work, stored exactly as Core's
executemany stores them: by COPY on PostgreSQL, by sqlite3's executemany on SQLite.

The import's new children and events, and the journey summaries and their codes that
it rebuilds, all go through :mod:`audit_app.bulk`.
"""

import pytest
from sqlalchemy import text

from audit_app import bulk
from audit_app.db import is_sqlite
from audit_app.imports import merge

from .helpers import engine_of, load

#: Every column as text, and whether a JSON column holds SQL NULL or JSON null.
DUMPS = {
    "child": "SELECT to_jsonb(c) - 'updated_at', raw IS NULL, updated_at IS NOT NULL "
    "FROM child c ORDER BY id",
    "event": "SELECT to_jsonb(e), details IS NULL, raw IS NULL FROM event e ORDER BY id",
    # the journeys the imports rebuilt, written by COPY too (bulk.insert_rows)
    "journeysummary": "SELECT to_jsonb(s) - 'built_at', data IS NULL FROM journeysummary s "
    "ORDER BY child_id",
    "summarycode": "SELECT child_id, kind, code FROM summarycode ORDER BY child_id, kind, code",
}


def _load_and_dump(app, exports) -> tuple[list[dict], dict[str, list]]:
    engine = engine_of(app)
    with engine.begin() as conn:
        tables = "child, event, importbatch, summarycode"
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    reports = []
    for path in exports:
        result = load(app, path)
        assert result.status == "committed", result.message
        reports.append(result.report)
    with engine.connect() as conn:
        rows = {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in DUMPS.items()}
    return reports, rows


def test_copy_stores_exactly_what_executemany_stores(app, exports, monkeypatch):
    if is_sqlite(engine_of(app)):
        pytest.skip("COPY is PostgreSQL's; SQLite's own write is compared in test_attached_write")
    statements = []
    real = merge._execute

    def recording(conn, statement, rows):
        statements.append(str(statement).split(" (")[0])
        real(conn, statement, rows)

    copies = []
    send = bulk.Copy.send

    def sending(self, conn, rows):
        copies.append(str(self).split(" (")[0])
        send(self, conn, rows)

    monkeypatch.setattr(merge, "_execute", recording)
    monkeypatch.setattr(bulk.Copy, "send", sending)
    copied, copied_rows = _load_and_dump(app, exports)
    assert {"COPY child", "COPY event"} <= set(statements)
    assert {"COPY child", "COPY event", "COPY journeysummary", "COPY summarycode"} == set(copies)
    statements.clear()
    copies.clear()
    monkeypatch.setattr(bulk, "COPY_ROWS", False)
    sent, sent_rows = _load_and_dump(app, exports)
    assert not any(s.startswith("COPY") for s in statements) and not copies

    assert copied == sent
    assert sent[1]["events"]["changed"] > 0 and sent[1]["events"]["added"] > 0
    for table in DUMPS:
        assert len(copied_rows[table]) == len(sent_rows[table]) > 100
        assert copied_rows[table] == sent_rows[table], table
    # the JSON columns hold both JSON null (a blank, as Core binds None) and objects
    assert {r[0]["raw"] is None for r in sent_rows["event"]} == {True, False}
    assert {r[0]["details"] is None for r in sent_rows["event"]} == {True, False}


def _summaries_by_ref(app) -> dict[str, list]:
    """Every journey summary column but its build time, with SQLite's storage class of
    each, and the summary codes; by child ID (ids differ between loads)."""
    from audit_app.models import JourneySummary

    columns = [c.name for c in JourneySummary.__table__.columns if c.name != "built_at"]
    values = ", ".join(f"s.{c}, typeof(s.{c})" for c in columns if c != "child_id")
    with engine_of(app).connect() as conn:
        summaries = conn.execute(text(
            f"SELECT c.child_ref, {values}, typeof(s.built_at) FROM journeysummary s "
            "JOIN child c ON c.id = s.child_id ORDER BY c.child_ref"
        )).all()  # fmt: skip
        codes = conn.execute(text(
            "SELECT c.child_ref, kind, code FROM summarycode s JOIN child c ON c.id = s.child_id "
            "ORDER BY c.child_ref, kind, code"
        )).all()  # fmt: skip
    return {
        "journeysummary": [tuple(r) for r in summaries],
        "summarycode": [tuple(r) for r in codes],
    }


def test_sqlite_driver_rows_store_exactly_what_core_stores(app, exports, monkeypatch):
    if not is_sqlite(engine_of(app)):
        pytest.skip("the driver's own executemany is SQLite's path; PostgreSQL's is COPY")
    sent = []
    real = bulk.Connection.exec_driver_sql

    def recording(self, statement, *args, **kwargs):
        sent.append(statement.split(" (")[0])
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(bulk.Connection, "exec_driver_sql", recording)
    dumps = []
    for driver in (True, False):
        monkeypatch.setattr(bulk, "DRIVER_ROWS", driver)
        sent.clear()
        with engine_of(app).begin() as conn:
            for table in ("summarycode", "journeysummary", "event", "child", "importbatch"):
                conn.execute(text(f"DELETE FROM {table}"))
        for path in exports:
            assert load(app, path).status == "committed"
        assert ("INSERT INTO journeysummary" in sent) is driver
        assert ("INSERT INTO summarycode" in sent) is driver
        dumps.append(_summaries_by_ref(app))
    by_driver, by_core = dumps
    for table in by_core:
        assert len(by_driver[table]) == len(by_core[table]) > 100
        assert by_driver[table] == by_core[table], table
    # booleans, dates and JSON kept their storage classes: integers, text, text
    assert {r[-1] for r in by_core["journeysummary"]} == {"text"}
