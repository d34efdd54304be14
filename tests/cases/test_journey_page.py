"""A child's journey page: full page and partial, the SVG's text alternative, who may see it."""

import re
import xml.dom.minidom

import pytest
from sqlalchemy import select

from audit_app.models import AccessLog

from .cohort import AS_OF, load_cohort
from .helpers import assign, engine_of

HX = {"HX-Request": "true"}


def svg_of(html: str) -> str:
    return re.search(r"<svg.*?</svg>", html, re.S).group(0)


@pytest.fixture
def manager(app, tmp_path, make_user, auth):
    load_cohort(app, tmp_path)
    auth.login(make_user("manager", "practice_manager"))
    return auth


class TestFullPageAndPartial:
    def test_the_page_shows_timeline_table_and_findings(self, manager, client):
        page = client.get(f"/cases/A1?as_of={AS_OF}")
        assert page.status_code == 200
        html = page.text
        assert "<h1" in html and "Child <span" in html and 'id="case-journey"' in html
        assert "C → R → A" in html
        # Referral 4 March to authorisation 20 June 2025: 74 working days (Easter and the two
        # May bank holidays left out) against 45: named in words, with the numbers.
        assert "Late: 74 working days, limit 45 (29 over)" in html
        assert "Referral to assessment authorised within 45 working days" in html
        # The accessible table has a row per event, each with its dates and working days.
        assert html.count('<th scope="row" class="govuk-table__header">') == 3
        assert "5 Mar 2025 to 20 Jun 2025, 73 working days" in html
        assert "Contact, 3 Mar 2025</a>, 1 working day before" in html

    def test_the_partial_is_the_journey_alone(self, manager, client):
        partial = client.get(f"/cases/A1?as_of={AS_OF}", headers=HX)
        assert partial.status_code == 200
        assert partial.text.lstrip().startswith('<div id="case-journey"')
        assert "<html" not in partial.text and "<h1" not in partial.text
        assert "<svg" in partial.text and "HX-Request" in partial.headers["Vary"]

    def test_the_svg_has_a_text_alternative_and_focusable_titled_elements(self, manager, client):
        svg = svg_of(client.get(f"/cases/A1?as_of={AS_OF}").text)
        xml.dom.minidom.parseString(svg)  # well formed
        assert 'aria-labelledby="tl-title tl-desc"' in svg
        assert '<title id="tl-title">Journey of child A1</title>' in svg
        desc = re.search(r'<desc id="tl-desc">(.*?)</desc>', svg).group(1)
        assert "3 events from 3 Mar 2025 to 20 Jun 2025: C → R → A." in desc
        assert "2 timeliness breaches" in desc
        assert svg.count('tabindex="0"') == 3
        items = re.findall(r'<g class="fda-tl-item[^"]*".*?<title>(.*?)</title>', svg)
        assert any("73 working days" in t for t in items)
        # Month ticks across the bottom.
        assert ">Apr<" in svg and ">Mar 2025<" in svg

    def test_breaches_and_anomalies_are_labelled_in_text_not_colour_alone(self, manager, client):
        svg = svg_of(client.get(f"/cases/B2?as_of={AS_OF}").text)
        assert "⚠ Anomaly: ICPC without S47" in svg
        assert 'class="fda-tl-item fda-tl-alert"' in svg
        svg = svg_of(client.get(f"/cases/A1?as_of={AS_OF}").text)
        assert "⚠ Late: 74 working days, limit 45 (29 over) (+1 more)" in svg

    def test_the_as_at_date_decides_what_is_open_and_overdue(self, manager, client):
        before = client.get("/cases/C3?as_of=2025-04-07").text
        assert "Overdue by" not in before
        after = client.get("/cases/C3?as_of=2025-06-30").text
        assert "At 30 June 2025" in after
        # Referral 3 February to 30 June 2025: 101 working days, 56 past the 45.
        assert "Overdue by 56 working days" in after
        assert "episode 2 open 147 days (101 working days)" in after

    def test_a_bad_date_is_named_and_today_is_used(self, manager, client):
        page = client.get("/cases/A1?as_of=2025-02-30")
        assert page.status_code == 400
        assert "As at date &#39;2025-02-30&#39; is not a date like 2025-03-31" in page.text
        assert 'href="#as_of"' in page.text
        # htmx swaps only a 2xx: the partial carries the same error summary with a 200.
        partial = client.get("/cases/A1?as_of=2025-02-30", headers=HX)
        assert partial.status_code == 200 and "is not a date like 2025-03-31" in partial.text

    def test_a_child_with_no_events_is_shown_not_an_error(self, manager, client):
        page = client.get("/cases/X06")
        assert page.status_code == 200
        assert "No events recorded for this child." in page.text

    def test_the_page_can_be_printed(self, manager, client, app):
        page = client.get("/cases/A1").text
        assert 'class="fda-no-print fda-asof-form"' in page
        css = app.static_folder + "/app.css"
        with open(css, encoding="utf-8") as handle:
            text = handle.read()
        assert "@media print" in text.split("== cases")[1]


class TestWhoMaySee:
    def test_an_auditor_sees_the_assigned_child_and_404_for_any_other(
        self, app, tmp_path, make_user, auth, client
    ):
        load_cohort(app, tmp_path)
        auth.login(make_user("ann", "auditor"))
        assign(app, "A1", "ann")
        assert client.get("/cases/A1").status_code == 200
        assert client.get("/cases/B2").status_code == 404
        assert client.get("/cases/NOSUCH").status_code == 404
        assert client.get("/cases/B2", headers=HX).status_code == 404

    @pytest.mark.parametrize("ref", ["' OR '1'='1", "A1'--", "%", "A%25", "x" * 200])
    def test_guessed_and_injection_shaped_refs_get_404(self, manager, client, ref):
        assert client.get(f"/cases/{ref}").status_code == 404

    def test_a_viewer_is_refused(self, app, tmp_path, make_user, auth, client):
        load_cohort(app, tmp_path)
        auth.login(make_user("viewer", "viewer"))
        assert client.get("/cases/A1").status_code == 403


def test_every_view_is_logged(manager, client, app):
    client.get(f"/cases/A1?as_of={AS_OF}")
    client.get(f"/cases/A1?as_of={AS_OF}", headers=HX)
    client.get("/cases/B2")
    with engine_of(app).connect() as conn:
        rows = conn.execute(
            select(AccessLog.child_ref, AccessLog.action, AccessLog.detail, AccessLog.username)
            .where(AccessLog.action == "view journey")
            .order_by(AccessLog.id)
        ).all()
    assert [(r.child_ref, r.username) for r in rows] == [
        ("A1", "manager"),
        ("A1", "manager"),
        ("B2", "manager"),
    ]
    assert rows[0].detail == f"as at {AS_OF}"
