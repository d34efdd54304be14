"""The case list's indexed query paths find what the plain queries they replaced found.

The child ID search is still the prefix ``LIKE`` it was (case-blind for ASCII letters on
SQLite, exact on PostgreSQL), now with index ranges beside it; CP category and anomaly
filters read the summary codes; age bands read the birth-date index.  Each is checked
against the plain query over the same database, on SQLite and PostgreSQL.
"""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, literal, select

from audit_app.cases.search import (
    PAGE_SIZE,
    _after,
    _case_variants,
    _like_escaped,
    filter_choices,
    parse_filters,
    search_cases,
)
from audit_app.db import session_scope
from audit_app.models import Child, JourneySummary
from audit_app.seeding import load_cases, load_teams
from seed_cases.generator import generate

from .helpers import child, engine_of, event, load

ADMIN = SimpleNamespace(roles=["admin"], id=0)
AS_OF = date(2026, 9, 30)
S = JourneySummary

REFS = ["Ab1", "aB2", "AB3", "ab4", "Abcdefg5", "aBCDEFg6", "abcdefG7", "ABCDEFH8", "Zz9",
        "a_b", "a%b", "a\\b", "é1", "É2", "ü", "0042", "00421", "0043", "~x"]  # fmt: skip
QUERIES = ["a", "A", "ab", "AB", "aB", "abc", "ABCDEF", "abcdefg", "ABCDEFG5", "abcdefh", "z",
           "a_", "a%", "a\\", "_", "%", "é", "É", "ü", "Ü", "004", "0042", "00421", "0044", "~",
           "b", "Ab1 ", "\U0010ffff"]  # fmt: skip


def every_ref(session, filters) -> list[str]:
    """Every child the search lists, page after page."""
    refs, page = [], 1
    while True:
        filters.page = page
        result = search_cases(filters, session=session, user=ADMIN)
        refs += [row.child_ref for row in result.rows]
        if page >= result.pages:
            return refs
        page += 1


def search(session, **args) -> tuple[int, list[str]]:
    filters = parse_filters(
        {"as_of": AS_OF.isoformat(), **args}, session=session, choices=filter_choices(session)
    )
    assert not filters.errors, filters.errors
    first = search_cases(filters, session=session, user=ADMIN)
    return first.total, every_ref(session, filters)


def test_the_child_id_search_finds_what_the_prefix_like_found(app, tmp_path):
    load(app, tmp_path / "refs", [child(ref) for ref in REFS],
         [event(ref, "referral", "2025-03-04", source="6") for ref in REFS])  # fmt: skip
    with session_scope(app) as session:
        wrong = {}
        for q in QUERIES:
            plain = set(
                session.execute(
                    select(Child.child_ref).where(
                        Child.child_ref.like(f"{_like_escaped(q.strip())}%", escape="\\")
                    )
                ).scalars()
            )
            total, refs = search(session, q=q)
            if (total, sorted(refs)) != (len(plain), sorted(plain)):
                wrong[q] = (total, sorted(refs), sorted(plain))
    assert wrong == {}


def test_the_child_id_search_ignores_case_where_like_does(app, tmp_path):
    load(app, tmp_path / "refs", [child(ref) for ref in REFS], [])
    with session_scope(app) as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        _, refs = search(session, q="abcdef")
    assert sorted(refs) == (["ABCDEFH8", "Abcdefg5", "aBCDEFg6", "abcdefG7"] if sqlite
                            else ["abcdefG7"])  # fmt: skip


def test_the_ranges_cover_each_case_of_the_first_letters():
    assert _case_variants("a1b") == ["a1b", "a1B", "A1b", "A1B"]
    assert len(_case_variants("abcdefgh")) == 16 and _case_variants("abcdefgh")[0] == "abcd"
    assert _case_variants("é0") == ["é0"]  # SQLite's LIKE folds ASCII letters only
    assert _after("ab") == "ac" and _after("a\U0010ffff") == "b"
    assert _after("\U0010ffff") is None and _after("\ud7ff") == "\ue000"


@pytest.fixture
def authority(app):
    generated = generate(400, 3)
    load_teams(generated.teams, engine=engine_of(app))
    load_cases(generated.iter_cases(), engine=engine_of(app))
    return app


def test_the_filters_on_a_synthetic_authority_match_the_plain_queries(authority):
    padded = {
        name: literal(",") + S.__table__.c[name] + literal(",")
        for name in ("cp_categories", "anomalies")
    }
    with session_scope(authority) as session:
        choices = filter_choices(session)
        expected = {}
        for code, _ in choices["category"]:
            expected[("category", code)] = padded["cp_categories"].like(f"%,{code},%")
        for code, _ in choices["anomaly"]:
            expected[("anomaly", code)] = (
                S.anomaly_count > 0 if code == "any" else padded["anomalies"].like(f"%,{code},%")
            )
        wrong, found = {}, 0
        for (key, value), condition in expected.items():
            plain = set(
                session.execute(
                    select(Child.child_ref).join(S, S.child_id == Child.id).where(condition)
                ).scalars()
            )
            total, refs = search(session, **{key: value})
            found += total
            if (total, sorted(refs)) != (len(plain), sorted(plain)):
                wrong[(key, value)] = (total, len(plain))
        assert wrong == {} and found > 0
        # age bands: each child in exactly one band or none; the bands add up
        banded = sum(search(session, age=band)[0] for band, _ in choices["age"])
        dated = session.execute(
            select(func.count())
            .select_from(Child)
            .where((Child.dob <= AS_OF) | Child.dob.is_(None) & Child.expected_dob.is_not(None))
        ).scalar_one()
        unborn = session.execute(
            select(func.count()).select_from(Child).where(Child.dob > AS_OF)
        ).scalar_one()
        assert banded == dated + unborn


def test_pages_of_a_filter_keep_the_order_and_list_each_child_once(authority):
    with session_scope(authority) as session:
        total, refs = search(session, age="10-15")
        assert total > PAGE_SIZE and len(refs) == len(set(refs)) == total
        order = session.execute(
            select(Child.child_ref)
            .join(S, S.child_id == Child.id)
            .where(Child.child_ref.in_(refs))
            .order_by(S.latest_referral.desc().nulls_last(), S.child_id.desc())
        ).scalars()
        assert refs == list(order)
