"""The summary codes table: the same children as the LIKE over the summaries' text it replaced.

On a seeded synthetic authority (real generator, real summaries) every factor, CP category,
outcome and anomaly code finds through ``summarycode`` exactly the children a whole-code
``LIKE`` on the comma-separated text finds; rebuilds keep the table in step; the migration
fills it from summaries written before it existed.
"""

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import delete, func, insert, literal, or_, select, update

from audit_app.audits.cohort import (
    CP_CATEGORIES,
    FACTOR_LABELS,
    OUTCOMES,
    Exclusions,
    load_frame,
    parse_rules,
)
from audit_app.audits.factors import CODE_LISTS, code_children, codes_of, write_codes
from audit_app.db import engine, make_engine, session_scope
from audit_app.migrate import alembic_config
from audit_app.models import Child, Event, JourneySummary, SummaryCode
from audit_app.seeding import load_cases, load_teams
from audit_app.summaries import rebuild_summaries
from journeys import ANOMALY_CODES
from seed_cases.generator import generate

AS_OF = date(2026, 9, 30)
BUILT = datetime(2026, 9, 30, tzinfo=UTC)
S = JourneySummary


def like_children(conn, column: str, codes) -> set[int]:
    """The old rule: whole codes of the comma-separated text ("3A" never matches "13A")."""
    padded = literal(",") + S.__table__.c[column] + literal(",")
    rule = [padded.like(f"%,{code},%") for code in codes]
    return set(conn.execute(select(S.child_id).where(or_(*rule))).scalars())


def table_children(conn, kind: str, codes=None) -> set[int]:
    return set(
        conn.execute(select(S.child_id).where(S.child_id.in_(code_children(kind, codes)))).scalars()
    )


@pytest.fixture
def seeded(app):
    authority = generate(300, 7)
    load_teams(authority.teams, engine=engine(app))
    load_cases(authority.iter_cases(), engine=engine(app))
    return app


ALL_CODES = {
    "factor": ("factors", list(FACTOR_LABELS)),
    "cp_category": ("cp_categories", list(CP_CATEGORIES)),
    "outcome": ("outcomes", list(OUTCOMES)),
    "anomaly": ("anomalies", list(ANOMALY_CODES)),
}


def test_every_code_finds_the_children_the_like_rule_found(seeded):
    with engine(seeded).connect() as conn:
        found_any = {}
        for kind, (column, codes) in ALL_CODES.items():
            for code in codes:
                assert table_children(conn, kind, [code]) == like_children(conn, column, [code]), (
                    kind,
                    code,
                )
            # several codes at once, as a theme asks (domestic abuse, the "toxic trio")
            assert table_children(conn, kind, codes[:3]) == like_children(conn, column, codes[:3])
            found_any[kind] = len(table_children(conn, kind))
    # the authority has children with each kind of list, so the comparisons above mean something
    assert all(found_any.values()), found_any


def test_the_domestic_abuse_frame_is_the_like_rules_frame(seeded):
    codes = ["3A", "3B", "3C"]
    with engine(seeded).connect() as conn:
        expected = set(
            conn.execute(
                select(Child.child_ref)
                .join(S, S.child_id == Child.id)
                .where(S.child_id.in_(like_children(conn, "factors", codes)))
            ).scalars()
        )
    with session_scope(seeded) as session:
        frame = load_frame(
            parse_rules({"factors": codes}), session=session, as_of=AS_OF,
            exclusions=Exclusions(0, False), by="team",
        )  # fmt: skip
    assert expected and set(frame.refs) == expected
    assert len(frame.refs) == len(expected)  # each child once, however many codes they have


def test_a_rebuild_replaces_a_childs_codes(seeded):
    eng = engine(seeded)
    with eng.connect() as conn:
        child_id, factors = conn.execute(
            select(S.child_id, S.factors).where(S.factors != "").limit(1)
        ).one()
    with eng.begin() as conn:
        conn.execute(
            update(Event)
            .where(Event.child_id == child_id, Event.kind == "assessment")
            .values(factors="24A")
        )
    rebuild_summaries(engine=eng, child_ids=[child_id], as_of=AS_OF)
    with eng.connect() as conn:
        codes = set(
            conn.execute(
                select(SummaryCode.code).where(
                    SummaryCode.child_id == child_id, SummaryCode.kind == "factor"
                )
            ).scalars()
        )
        text = conn.execute(select(S.factors).where(S.child_id == child_id)).scalar_one()
    assert text == "24A" and codes == {"24A"}, (factors, text, codes)


def test_codes_left_by_a_deleted_summary_are_never_counted(seeded):
    eng = engine(seeded)
    with eng.connect() as conn:
        child_id = conn.execute(
            select(SummaryCode.child_id).where(SummaryCode.kind == "factor").limit(1)
        ).scalar_one()
        code = conn.execute(
            select(SummaryCode.code).where(
                SummaryCode.child_id == child_id, SummaryCode.kind == "factor"
            )
        ).first()[0]
    with eng.begin() as conn:
        conn.execute(delete(S).where(S.child_id == child_id))
    with eng.connect() as conn:
        assert child_id not in table_children(conn, "factor", [code])
        assert table_children(conn, "factor", [code]) == like_children(conn, "factors", [code])


def test_write_codes_takes_whole_codes_once(app):
    rows = [{"child_id": 1, "factors": "3A,13A,3A,,21", "cp_categories": "NEG",
             "anomalies": "", "outcomes": None}]  # fmt: skip
    assert codes_of("3A,13A,3A,,21") == ["3A", "13A", "21"]
    assert codes_of("x" * 65 + ",3A") == ["3A"]  # longer than any code: never asked for
    with engine(app).begin() as conn:
        conn.execute(insert(Child), [{"id": 1, "child_ref": "K1"}])
        assert write_codes(conn, rows) == 4
        assert write_codes(conn, rows) == 4  # again: replaced, not doubled
        stored = conn.execute(
            select(SummaryCode.kind, SummaryCode.code).order_by(SummaryCode.kind, SummaryCode.code)
        ).all()
    assert [tuple(r) for r in stored] == [
        ("cp_category", "NEG"), ("factor", "13A"), ("factor", "21"), ("factor", "3A"),
    ]  # fmt: skip
    with pytest.raises(ValueError):
        code_children("colour")


def test_the_migration_fills_the_table_from_stored_summaries(db_url):
    """Summaries written before the table existed get their codes from the migration."""
    cfg = alembic_config(db_url)
    command.upgrade(cfg, "e5a1c7d3f9b2")
    eng = make_engine(db_url)
    try:
        with eng.begin() as conn:
            conn.execute(insert(Child.__table__), [{"id": i, "child_ref": f"M{i}",
                         "updated_at": BUILT} for i in (1, 2, 3)])  # fmt: skip
            conn.execute(
                insert(S.__table__),
                [
                    {"child_id": 1, "events_hash": "x", "factors": "3A,4B",
                     "cp_categories": "NEG", "anomalies": "", "outcomes": "cin",
                     "built_at": BUILT},
                    {"child_id": 2, "events_hash": "x", "factors": "13A", "cp_categories": "",
                     "anomalies": "cp_plan_without_icpc", "outcomes": "", "built_at": BUILT},
                    {"child_id": 3, "events_hash": "x", "factors": "", "cp_categories": "",
                     "anomalies": "", "outcomes": "", "built_at": BUILT},
                ],
            )  # fmt: skip
        command.upgrade(cfg, "head")
        with eng.connect() as conn:
            stored = {
                tuple(r)
                for r in conn.execute(
                    select(SummaryCode.child_id, SummaryCode.kind, SummaryCode.code)
                )
            }
            assert stored == {
                (1, "factor", "3A"), (1, "factor", "4B"), (1, "cp_category", "NEG"),
                (1, "outcome", "cin"), (2, "factor", "13A"), (2, "anomaly", "cp_plan_without_icpc"),
            }  # fmt: skip
            assert table_children(conn, "factor", ["3A"]) == {1}
        command.downgrade(cfg, "e5a1c7d3f9b2")
        with eng.connect() as conn:
            assert conn.execute(select(func.count()).select_from(S)).scalar_one() == 3
    finally:
        eng.dispose()


def test_every_list_the_table_holds_is_a_summary_column():
    assert set(CODE_LISTS.values()) <= set(S.__table__.c.keys())
