"""The case list: every filter on a small literal cohort, full page and htmx partial."""

import re

import pytest
from sqlalchemy import delete, select

from audit_app.models import AccessLog, Child, JourneySummary
from audit_app.summaries import rebuild_summaries

from .cohort import AS_OF, load_cohort
from .helpers import assign, child, engine_of, event, load

HX = {"HX-Request": "true"}


def refs(html: str) -> set[str]:
    """The child IDs listed in the results."""
    rows = html.split('id="case-rows"', 1)[1]
    return set(re.findall(r'href="/cases/([^"?]+)[^"]*"', rows))


@pytest.fixture
def manager(app, tmp_path, make_user, auth):
    load_cohort(app, tmp_path)
    auth.login(make_user("manager", "practice_manager"))
    return auth


FILTER_CASES = [
    ({}, {"A1", "B2", "C3", "D4", "E5", "X06"}),
    ({"q": "C3"}, {"C3"}),
    ({"q": "X0"}, {"X06"}),
    ({"stage": "cp_plan"}, {"B2", "E5"}),
    ({"stage": "assessment"}, {"A1", "C3"}),
    ({"stage": "referral"}, {"D4"}),
    ({"team": "North"}, {"A1", "C3"}),
    ({"worker": "Worker C"}, {"E5"}),
    ({"age": "unborn"}, {"D4"}),
    ({"age": "0"}, {"B2"}),
    ({"age": "5-9"}, {"A1", "X06"}),
    ({"age": "10-15"}, {"C3"}),
    ({"age": "16+"}, {"E5"}),
    ({"source": "6"}, {"A1", "D4", "E5"}),
    ({"source": "3A"}, {"C3"}),
    ({"rereferred": "yes"}, {"C3"}),
    ({"rereferred": "no"}, {"A1", "B2", "D4", "E5", "X06"}),
    ({"overdue": "yes"}, {"C3"}),
    ({"anomaly": "any"}, {"B2"}),
    ({"anomaly": "icpc_without_s47"}, {"B2"}),
    ({"anomaly": "cp_plan_without_icpc"}, set()),
    ({"category": "NEG"}, {"B2"}),
    ({"category": "PHY"}, {"E5"}),
    ({"team": "South", "stage": "cp_plan", "category": "PHY"}, {"E5"}),
]


def test_each_filter_finds_the_children_worked_out_by_hand(manager, client):
    wrong = {}
    for query, expected in FILTER_CASES:
        params = {"as_of": AS_OF, **query}
        page = client.get("/cases/", query_string=params)
        partial = client.get("/cases/", query_string=params, headers=HX)
        got = (page.status_code, refs(page.text), partial.status_code, refs(partial.text))
        if got != (200, expected, 200, expected):
            wrong[str(query)] = got
    assert wrong == {}


def test_the_partial_is_the_results_alone(manager, client):
    page = client.get(f"/cases/?as_of={AS_OF}&team=North")
    assert "<form" in page.text and 'id="case-filters"' in page.text
    partial = client.get(f"/cases/?as_of={AS_OF}&team=North", headers=HX)
    assert partial.status_code == 200
    assert 'id="case-rows"' in partial.text
    assert "<html" not in partial.text and 'id="case-filters"' not in partial.text
    assert "HX-Request" in partial.headers["Vary"]


def test_overdue_depends_on_the_as_at_date(manager, client):
    # C3's referral of 3 February: 45 working days run out on 7 April 2025.
    assert refs(client.get("/cases/?overdue=yes&as_of=2025-04-07").text) == set()
    page = client.get("/cases/?overdue=yes&as_of=2025-04-08").text
    assert refs(page) == {"C3"}
    assert "Assessment 1 working day overdue" in page


def test_the_rows_show_flags_in_words(manager, client):
    page = client.get(f"/cases/?as_of={AS_OF}").text
    assert "ICPC without S47" in page
    assert "Re-referred" in page
    assert "Late: 1 check" in page or "Late: 2 checks" in page
    assert "C → R → A" in page


@pytest.mark.parametrize(
    "text", ["' OR '1'='1", "%", "_3", '"; DROP TABLE child; --', "C3' --", "\\"]
)
def test_injection_shaped_search_text_is_only_text(manager, client, app, text):
    page = client.get("/cases/", query_string={"q": text, "as_of": AS_OF})
    assert page.status_code == 200
    assert refs(page.text) == set()
    assert "0</strong> children match" in page.text
    # The tables are still there.
    assert refs(client.get(f"/cases/?as_of={AS_OF}").text) >= {"A1", "C3"}


def test_an_unknown_filter_value_is_named_in_an_error_summary(manager, client):
    page = client.get("/cases/?stage=bogus&team=Nowhere&as_of=31/06/2025")
    assert page.status_code == 400
    assert "There is a problem with the filters" in page.text
    assert "Furthest stage reached &#39;bogus&#39; is not one of the choices" in page.text
    assert "Team &#39;Nowhere&#39; is not one of the choices" in page.text
    assert "As at date &#39;31/06/2025&#39; is not a date" in page.text
    assert 'href="#filter-stage"' in page.text
    partial = client.get("/cases/?stage=bogus", headers=HX)
    assert partial.status_code == 200 and "There is a problem" in partial.text


def test_pages_keep_the_filters(app, tmp_path, make_user, auth, client):
    load(app, tmp_path / "many", [child(f"P{i:02d}") for i in range(30)], [])
    auth.login(make_user("manager", "practice_manager"))
    first = client.get("/cases/?q=P").text
    assert "30</strong> children match, page 1 of 2" in first
    assert len(refs(first)) == 25
    assert 'href="/cases/?q=P&amp;page=2"' in first
    second = client.get("/cases/?q=P&page=2").text
    assert len(refs(second)) == 5 and not refs(first) & refs(second)
    assert "page 2 of 2" in client.get("/cases/?q=P&page=99").text


def test_an_auditor_sees_only_the_children_assigned_to_them(app, tmp_path, make_user, auth, client):
    load_cohort(app, tmp_path)
    auth.login(make_user("ann", "auditor"))
    assert refs(client.get(f"/cases/?as_of={AS_OF}").text) == set()
    assign(app, "A1", "ann")
    page = client.get(f"/cases/?as_of={AS_OF}").text
    assert refs(page) == {"A1"}
    assert "only the children in audits assigned to you" in page
    assert refs(client.get("/cases/?q=B2").text) == set()


def test_a_viewer_is_refused(app, make_user, auth, client):
    auth.login(make_user("viewer", "viewer"))
    assert client.get("/cases/").status_code == 403


def test_a_search_is_logged_once_not_per_child(manager, client, app):
    client.get("/cases/?team=North&as_of=2025-06-30")
    with engine_of(app).connect() as conn:
        rows = conn.execute(select(AccessLog).where(AccessLog.action == "search children")).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.username == "manager" and row.child_ref is None
    assert "Team: North" in row.detail and "2 found" in row.detail


def test_the_list_works_without_javascript(manager, client):
    page = client.get("/cases/").text
    form = page.split('id="case-filters"', 1)[0].rsplit("<form", 1)[1]
    assert 'method="get"' in form and 'action="/cases/"' in form


def test_children_without_a_summary_are_counted_in_a_warning(manager, client, app):
    with engine_of(app).begin() as conn:
        conn.execute(
            delete(JourneySummary).where(
                JourneySummary.child_id.in_(
                    select(Child.id).where(Child.child_ref.in_(["A1", "B2"]))
                )
            )
        )
    page = client.get(f"/cases/?as_of={AS_OF}").text
    assert "2 children in the data have no journey summary yet" in page
    assert refs(page) == {"C3", "D4", "E5", "X06"}
    rebuild_summaries(engine=engine_of(app))
    page = client.get(f"/cases/?as_of={AS_OF}").text
    assert "no journey summary yet" not in page and refs(page) >= {"A1", "B2"}


def ordered_refs(html: str) -> list[str]:
    """The child IDs listed in the results, in the order shown (once each)."""
    rows = html.split('id="case-rows"', 1)[1]
    return list(dict.fromkeys(re.findall(r'href="/cases/([^"?]+)[^"]*"', rows)))


def test_newest_referral_first_then_children_with_no_referral_across_pages(
    app, tmp_path, make_user, auth, client
):
    # R00-R19 referred on 1-20 March 2025 (R10 and R11 the same day); N00-N09 never referred.
    days = [f"2025-03-{i + 1:02d}" for i in range(20)]
    days[11] = days[10]
    events = [
        event(f"R{i:02d}", "referral", day, source="6", team="North", worker="Worker A")
        for i, day in enumerate(days)
    ]
    children = [child(f"R{i:02d}") for i in range(20)] + [child(f"N{i:02d}") for i in range(10)]
    load(app, tmp_path / "mixed", children, events)
    auth.login(make_user("manager", "practice_manager"))
    first = ordered_refs(client.get("/cases/").text)
    second = ordered_refs(client.get("/cases/?page=2").text)
    dated = [f"R{i:02d}" for i in range(19, -1, -1)]
    dated[8:10] = ["R11", "R10"]  # same day: the later-loaded child first
    undated = [f"N{i:02d}" for i in range(9, -1, -1)]  # never referred: the later-loaded first
    assert first + second == dated + undated
    assert len(first) == 25
    north = ordered_refs(client.get("/cases/?team=North&page=1").text)
    assert north == dated  # a filter keeps the order and leaves out the unreferred
    assert ordered_refs(client.get("/cases/?q=N&page=1").text) == undated
