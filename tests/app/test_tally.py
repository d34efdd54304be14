"""The row tallies of ``child`` and ``journeysummary`` stay exact on PostgreSQL.

Every way rows come and go: an INSERT, a COPY, an import (which writes by COPY and
rebuilds the summaries), a DELETE, the purge's deletes of children with their
summaries, a TRUNCATE, a rolled-back transaction, a tally row gone missing, and a
database brought to the head revision by the migrations.
"""

from datetime import date

import pytest
from sqlalchemy import delete, func, insert, select, text

from audit_app.db import is_sqlite, make_engine
from audit_app.models import Child, JourneySummary, RowTally
from audit_app.seeding import load_cases, load_teams
from audit_app.tally import TALLIED, tallies
from seed_cases import csv_format
from seed_cases.generator import generate
from tests.imports.helpers import load

from .test_migrations import fresh_app


def engine_of(app):
    return app.extensions["frontdoor_engine"]


def actual(conn) -> dict[str, int]:
    return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in TALLIED}


def check(engine) -> dict[str, int]:
    with engine.connect() as conn:
        found, counted = tallies(conn), actual(conn)
    assert found == counted
    return counted


@pytest.fixture
def engine(app):
    if is_sqlite(engine_of(app)):
        pytest.skip("the tallies are PostgreSQL's; SQLite counts its tables itself")
    return engine_of(app)


def test_every_write_keeps_the_tallies_exact(app, engine, tmp_path):
    assert check(engine) == {"child": 0, "journeysummary": 0}
    authority = generate(60, 3)
    load_teams(authority.teams, engine=engine)
    load_cases(authority.iter_cases(), engine=engine)
    assert check(engine) == {"child": 60, "journeysummary": 60}
    csv_format.write_csv(generate(80, 4), tmp_path / "csv")  # 20 more children, by COPY
    assert load(app, tmp_path / "csv").status == "committed"
    assert check(engine) == {"child": 80, "journeysummary": 80}
    with engine.begin() as conn:
        ids = list(conn.execute(select(Child.id).order_by(Child.id).limit(10)).scalars())
        conn.execute(delete(JourneySummary).where(JourneySummary.child_id.in_(ids[:5])))
    assert check(engine) == {"child": 80, "journeysummary": 75}
    with engine.begin() as conn:  # as the purge removes children: events, summaries, child
        conn.execute(text("DELETE FROM event WHERE child_id = ANY(:ids)"), {"ids": ids})
        conn.execute(delete(JourneySummary).where(JourneySummary.child_id.in_(ids)))
        conn.execute(delete(Child).where(Child.id.in_(ids)))
    assert check(engine) == {"child": 70, "journeysummary": 70}
    with pytest.raises(RuntimeError), engine.begin() as conn:  # rolled back with the rows
        conn.execute(insert(Child), [{"child_ref": f"RB{i}"} for i in range(7)])
        assert tallies(conn)["child"] == 77  # the writer sees its own rows counted
        raise RuntimeError
    assert check(engine)["child"] == 70
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE journeysummary CASCADE"))
    assert check(engine) == {"child": 70, "journeysummary": 0}


def test_a_missing_tally_is_counted_then_started_by_the_next_write(app, engine):
    with engine.begin() as conn:
        conn.execute(insert(Child), [{"child_ref": f"M{i}"} for i in range(5)])
        conn.execute(delete(RowTally))
    with engine.connect() as conn:
        assert tallies(conn) == {}  # the case list counts for itself meanwhile
    with engine.begin() as conn:
        conn.execute(insert(Child), [{"child_ref": "M9"}])
    with engine.connect() as conn:  # the summaries' tally waits for their next write
        assert tallies(conn) == {"child": 6} and actual(conn)["child"] == 6


def test_the_case_list_reads_the_tallies(app, engine, monkeypatch):
    """The list's count is the tally's: a tally set wrong on purpose shows on the page."""
    from types import SimpleNamespace

    from audit_app.cases.search import filter_choices, parse_filters, search_cases
    from audit_app.db import session_scope

    authority = generate(30, 5)
    load_teams(authority.teams, engine=engine)
    load_cases(authority.iter_cases(), engine=engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE rowtally SET rows = 31 WHERE name = 'child'"))
        conn.execute(text("UPDATE rowtally SET rows = 29 WHERE name = 'journeysummary'"))
    with session_scope(app) as session:
        filters = parse_filters(
            {"as_of": date(2026, 9, 30).isoformat()}, session=session,
            choices=filter_choices(session),
        )  # fmt: skip
        page = search_cases(filters, session=session, user=SimpleNamespace(roles=["admin"], id=0))
    assert page.total == 29 and page.unbuilt == 2


def test_the_migrations_install_the_tallies(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the tallies are PostgreSQL's; SQLite counts its tables itself")
    app = fresh_app(db_url)
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Child), [{"child_ref": f"G{i}"} for i in range(3)])
        assert check(engine) == {"child": 3, "journeysummary": 0}
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(RowTally)).scalar_one() == 2
    finally:
        engine.dispose()
