"""PostgreSQL bulk-loads new rows by COPY: stored exactly as executemany stores them."""

from datetime import date

import pytest
from sqlalchemy import text

from audit_app.db import is_sqlite
from audit_app.imports import merge

from .helpers import engine_of, load

seed = pytest.importorskip("seed_cases.generator")
annex_a = pytest.importorskip("seed_cases.annex_a")
csv_format = pytest.importorskip("seed_cases.csv_format")

#: Every column as text, and whether a JSON column holds SQL NULL or JSON null.
DUMPS = {
    "child": "SELECT to_jsonb(c) - 'updated_at', raw IS NULL, updated_at IS NOT NULL "
    "FROM child c ORDER BY id",
    "event": "SELECT to_jsonb(e), details IS NULL, raw IS NULL FROM event e ORDER BY id",
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """An older Annex A export, a newer one of the same authority (adds and changes rows),
    then its app CSV."""
    folder = tmp_path_factory.mktemp("exports")
    authority = seed.generate(120, seed=11)
    older = annex_a.write_annex_a(authority, folder / "older.xlsx", census_date=date(2025, 12, 31))
    newer = annex_a.write_annex_a(authority, folder / "newer.xlsx")
    csv_format.write_csv(authority, folder / "csv")
    return [older, newer, folder / "csv"]


def _load_and_dump(app, exports) -> tuple[list[dict], dict[str, list]]:
    engine = engine_of(app)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE child, event, importbatch RESTART IDENTITY CASCADE"))
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

    monkeypatch.setattr(merge, "_execute", recording)
    copied, copied_rows = _load_and_dump(app, exports)
    assert {"COPY child", "COPY event"} <= set(statements)
    statements.clear()
    monkeypatch.setattr(merge, "COPY_WRITE", False)
    sent, sent_rows = _load_and_dump(app, exports)
    assert not any(s.startswith("COPY") for s in statements)

    assert copied == sent
    assert sent[1]["events"]["changed"] > 0 and sent[1]["events"]["added"] > 0
    for table in DUMPS:
        assert len(copied_rows[table]) == len(sent_rows[table]) > 100
        assert copied_rows[table] == sent_rows[table], table
    # the JSON columns hold both JSON null (a blank, as Core binds None) and objects
    assert {r[0]["raw"] is None for r in sent_rows["event"]} == {True, False}
    assert {r[0]["details"] is None for r in sent_rows["event"]} == {True, False}
