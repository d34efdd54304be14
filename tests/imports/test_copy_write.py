"""PostgreSQL bulk-loads new rows by COPY: stored exactly as executemany stores them.

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
