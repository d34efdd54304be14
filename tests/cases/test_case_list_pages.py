"""The case list's pages where the referred children end and the never-referred begin.

PostgreSQL reads the list in two parts (dated summaries, then those with no referral) and
counts the undated ones only when a page starts past the dated ones; these cohorts put
that boundary at the end of a page, inside one, and at the very start, and check every
page against the order worked out by the database in one sorted query.  On PostgreSQL
the list is read without parallel workers, for the request's transaction only.
"""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from audit_app.cases.search import PAGE_SIZE, filter_choices, parse_filters, search_cases
from audit_app.db import session_scope
from audit_app.models import Child, JourneySummary
from tests.conftest import postgres_url

from .helpers import child, event, load

ADMIN = SimpleNamespace(roles=["admin"], id=0)
S = JourneySummary


def every_page(session, **args) -> tuple[int, int, list[str]]:
    """(total, pages, the child IDs of every page in turn) for the filters in ``args``."""
    filters = parse_filters(
        {"as_of": "2026-09-30", **args}, session=session, choices=filter_choices(session)
    )
    refs, page = [], 1
    while True:
        filters.page = page
        result = search_cases(filters, session=session, user=ADMIN)
        assert len(result.rows) == (PAGE_SIZE if page < result.pages else len(result.rows))
        refs += [row.child_ref for row in result.rows]
        if page >= result.pages:
            return result.total, result.pages, refs
        page += 1


def in_order(session, prefix: str = "") -> list[str]:
    query = (
        select(Child.child_ref)
        .join(S, S.child_id == Child.id)
        .where(Child.child_ref.startswith(prefix))
        .order_by(S.latest_referral.desc().nulls_last(), S.child_id.desc())
    )
    return list(session.execute(query).scalars())


@pytest.mark.parametrize("dated", [PAGE_SIZE, PAGE_SIZE + 7, 0, 3])
def test_every_page_follows_the_dated_children_with_the_undated(app, tmp_path, dated):
    undated = 2 * PAGE_SIZE + 5
    # D children referred on different days, loaded oldest first, and two on one day;
    # U children never referred.  Loaded interleaved, so ids do not follow the groups.
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(dated)]
    if dated > 2:
        days[1] = days[0]
    names = [f"D{i:02d}" for i in range(dated)] + [f"U{i:02d}" for i in range(undated)]
    names = sorted(names, key=lambda n: (int(n[1:]), n))
    events = [event(f"D{i:02d}", "referral", d.isoformat(), source="6") for i, d in enumerate(days)]
    load(app, tmp_path / "boundary", [child(n) for n in names], events)
    with session_scope(app) as session:
        expected = in_order(session)
        assert [n[0] for n in expected] == ["D"] * dated + ["U"] * undated
        total, pages, refs = every_page(session)
        assert (total, refs) == (len(expected), expected)
        assert pages == -(-total // PAGE_SIZE)
        # a filter that leaves out every dated child, and one that leaves out every undated
        assert every_page(session, q="U")[2] == in_order(session, "U")
        assert every_page(session, q="D")[2] == in_order(session, "D")


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_url(), reason="PostgreSQL's parallel query")
def test_postgresql_reads_the_list_without_parallel_workers_until_the_transaction_ends(
    app, tmp_path
):
    load(app, tmp_path / "few", [child("A1"), child("B2")], [event("A1", "referral", "2025-03-04")])
    show = text("SHOW max_parallel_workers_per_gather")
    with session_scope(app) as session:
        default = session.execute(show).scalar_one()
        assert default != "0", "the server has parallel query off already: nothing to check"
        assert every_page(session) == (2, 1, ["A1", "B2"])
        assert session.execute(show).scalar_one() == "0"
        session.commit()  # the connection goes back to the pool as it came
        assert session.execute(show).scalar_one() == default
