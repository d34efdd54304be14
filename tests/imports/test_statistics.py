"""After a load, PostgreSQL's tables are vacuumed and analysed (this server runs autovacuum off)."""

from sqlalchemy import text

from audit_app.db import is_sqlite
from tests.cases.helpers import child, engine_of, event, load


def test_an_import_refreshes_the_planner_statistics_of_what_it_loaded(app, tmp_path):
    engine = engine_of(app)
    load(
        app,
        tmp_path / "csv",
        [child("S1"), child("S2")],
        [event("S1", "referral", "2025-01-06"), event("S2", "contact", "2025-01-07")],
    )
    with engine.connect() as conn:
        if is_sqlite(engine):
            # nothing asked of SQLite: no statistics tables appear, plans stay as written
            assert not conn.execute(
                text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            ).first()
            return
        analysed = dict(
            conn.execute(
                text(
                    "SELECT relname, last_analyze IS NOT NULL AND last_vacuum IS NOT NULL "
                    "FROM pg_stat_user_tables "
                    "WHERE relname IN ('child', 'event', 'journeysummary')"
                )
            ).all()
        )
    assert analysed == {"child": True, "event": True, "journeysummary": True}
