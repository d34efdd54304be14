"""The SEF workspace: who may see and write it, versioned narrative, refresh, checklist, quotes,
pseudonym look-up."""

import re

import pytest
from sqlmodel import select

from audit_app.db import session_scope
from audit_app.models import AccessLog, AuditCase, Quote, SefSection
from audit_app.reports.pseudonyms import pseudonym, secret_from
from tests.conftest import Auth
from tests.reports import sef_data

SECRET = secret_from("test-secret")
PERIOD = {"from": "2025-01-01", "to": "2025-06-30"}


@pytest.fixture
def built(app):
    with session_scope(app) as session:
        return sef_data.build(session)


@pytest.fixture
def qa(client, make_user):
    make_user("qa", "qa_lead", display_name="Quinn Lead")
    auth = Auth(client)
    auth.login("qa")
    return auth


def login(client, make_user, name, *roles):
    make_user(name, *roles)
    auth = Auth(client)
    auth.login(name)
    return auth


def sections(app, key):
    with session_scope(app) as session:
        return session.exec(
            select(SefSection).where(SefSection.section == key).order_by(SefSection.version)
        ).all()


def access(app, action):
    with session_scope(app) as session:
        return session.exec(select(AccessLog).where(AccessLog.action == action)).all()


class TestViewerSeesButCannotWrite:
    def test_viewer_sees_the_figures_without_forms(self, app, client, make_user, built, qa):
        assert qa.post("/reports/sef/refresh", PERIOD).status_code == 303
        qa.post("/reports/sef/sections/2", {"text": "Thresholds are applied consistently."})
        qa.client.post("/auth/logout", data={"csrf_token": qa.token})
        viewer = login(client, make_user, "vera", "viewer")
        page = client.get("/reports/sef")
        assert page.status_code == 200
        assert "50%</strong> (4 of 8)" in page.text  # good or better
        assert "Thresholds are applied consistently." in page.text
        assert "<textarea" not in page.text and "Refresh sections 5 and 8" not in page.text
        for url, data in (
            ("/reports/sef/sections/2", {"text": "x"}),
            ("/reports/sef/refresh", PERIOD),
            ("/reports/sef/checklist", {"checklist": "1"}),
            ("/reports/sef/meta", {"lead_person": "x"}),
        ):
            assert viewer.post(url, data).status_code == 403, url
        assert client.get("/reports/sef/export/docx").status_code == 403
        assert len(sections(app, "2")) == 1

    def test_an_auditor_cannot_open_the_sef(self, client, make_user, built):
        login(client, make_user, "audrey", "auditor")
        assert client.get("/reports/sef").status_code == 403


class TestNarrative:
    def test_each_save_is_a_new_version_with_who_and_when(self, app, qa, built):
        qa.post("/reports/sef/sections/1", {"text": "First words.", "version": "0"})
        qa.post("/reports/sef/sections/1", {"text": "Second words.", "version": "1"})
        rows = sections(app, "1")
        assert [(r.version, r.text) for r in rows] == [(1, "First words."), (2, "Second words.")]
        history = qa.client.get("/reports/sef/sections/1/history").text
        assert "Version 2: Quinn Lead" in history and "First words." in history

    def test_a_stale_save_is_refused_not_lost(self, app, qa, built):
        qa.post("/reports/sef/sections/9", {"text": "Mine.", "version": "0"})
        response = qa.post("/reports/sef/sections/9", {"text": "Theirs.", "version": "0"})
        assert response.status_code == 409
        assert "Someone saved this section (version 1)" in response.text
        assert "Theirs." in response.text  # the writer's text is still in the box
        assert [r.text for r in sections(app, "9")] == ["Mine."]

    def test_htmx_save_answers_with_the_section_partial(self, qa, built):
        response = qa.post(
            "/reports/sef/sections/3",
            {"text": "Partners meet daily."},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/reports/sef/sections/3")
        partial = qa.client.get("/reports/sef/sections/3", headers={"HX-Request": "true"})
        assert partial.text.lstrip().startswith('<div id="sef-section-3"')
        assert "Partners meet daily." in partial.text and "<html" not in partial.text
        full = qa.client.get("/reports/sef/sections/3")
        assert "<html" in full.text and "Partners meet daily." in full.text

    def test_refresh_replaces_figures_and_keeps_the_commentary(self, app, qa, built):
        qa.post("/reports/sef/sections/5", {"text": "Half our cases were good or better."})
        assert qa.post("/reports/sef/refresh", PERIOD).status_code == 303
        assert (
            qa.post("/reports/sef/refresh", {**PERIOD, "include_unfinalised": "yes"}).status_code
            == 303
        )
        page = qa.client.get("/reports/sef").text
        assert "Half our cases were good or better." in page
        assert "Cases audited (counted here)</dt>" in page
        assert re.search(r"Cases audited \(counted here\)</dt>\s*<dd[^>]*>9<", page)
        assert [r.version for r in sections(app, "data")] == [1, 2]
        assert len(sections(app, "5")) == 1

    def test_unknown_section_is_404(self, qa, built):
        assert qa.post("/reports/sef/sections/99", {"text": "x"}).status_code == 404


class TestFormsSayWhatIsWrong:
    def test_refresh_with_a_bad_date_names_the_field_and_value(self, qa, built):
        response = qa.post("/reports/sef/refresh", {"from": "31/13/2025", "to": "2025-06-30"})
        assert response.status_code == 400
        assert "There is a problem" in response.text
        assert "From must be a date like 2025-03-31, not &#39;31/13/2025&#39;" in response.text
        assert 'href="#scope-from"' in response.text

    def test_refresh_with_the_period_backwards(self, qa, built):
        response = qa.post("/reports/sef/refresh", {"from": "2025-06-30", "to": "2025-01-01"})
        assert response.status_code == 400 and "is before From" in response.text

    def test_meta_with_a_bad_date(self, qa, built):
        response = qa.post("/reports/sef/meta", {"date_of_assessment": "soon", "lead_person": "Q"})
        assert response.status_code == 400
        assert "not &#39;soon&#39;" in response.text

    def test_meta_is_saved_and_shown(self, qa, built):
        qa.post(
            "/reports/sef/meta",
            {
                "date_of_assessment": "2025-07-01",
                "lead_person": "Quinn Lead",
                "completed_by": "Police, health, education",
            },
        )
        page = qa.client.get("/reports/sef").text
        assert 'value="2025-07-01"' in page and "Police, health, education" in page


def test_checklist_ticks_and_notes_are_kept(app, qa, built):
    qa.post(
        "/reports/sef/checklist",
        {
            "checklist": "1",
            "ticked-a": "yes",
            "note-a": "JSNA used",
            "note-j": "Drill-down by team",
        },
    )
    rows = {r.section: r for r in sections(app, "checklist-a") + sections(app, "checklist-j")}
    assert rows["checklist-a"].ticked and rows["checklist-a"].text == "JSNA used"
    assert not rows["checklist-j"].ticked and rows["checklist-j"].text == "Drill-down by team"
    qa.post(
        "/reports/sef/checklist",
        {
            "checklist": "1",
            "ticked-a": "yes",
            "note-a": "JSNA used",
            "note-j": "Drill-down by team",
        },
    )
    assert len(sections(app, "checklist-a")) == 1  # unchanged items are not saved again


class TestQuotes:
    def test_a_quote_with_a_date_cannot_be_used_until_redacted(self, app, qa, built):
        qa.post("/reports/sef/refresh", PERIOD)
        page = qa.client.get("/reports/sef/quotes")
        assert "I told Kayleigh at school on 3/4/2024 about it" in page.text
        case_id = built["cases"]["NM0000102"]
        assert access(app, "view_quote_candidates")  # the raw text is from the child's record
        response = qa.post(
            "/reports/sef/quotes", {"audit_case_id": str(case_id), "question_key": "voice_comment"}
        )
        assert response.status_code == 303
        with session_scope(app) as session:
            quote = session.exec(select(Quote).where(Quote.audit_case_id == case_id)).one()
        assert (quote.theme, quote.age_band, quote.approved) == ("neglect", "10 to 15", False)
        url = f"/reports/sef/quotes/{quote.id}"
        refused = qa.post(url, {"text": quote.text, "approve": "yes"})
        assert refused.status_code == 400 and "‘3/4/2024’" in refused.text
        names = qa.post(url, {"text": "I told Kayleigh at school about it", "approve": "yes"})
        assert names.status_code == 400 and "‘Kayleigh’" in names.text
        assert (
            qa.post(
                url, {"text": "I told my friend at school about it", "approve": "yes"}
            ).status_code
            == 303
        )
        qa.post("/reports/sef/refresh", PERIOD)
        page = qa.client.get("/reports/sef").text
        assert "“I told my friend at school about it”" in page
        assert "Neglect audit · 10 to 15" in page

    def test_a_flagged_name_can_be_confirmed_as_not_identifying(self, app, qa, built):
        with session_scope(app) as session:
            quote = Quote(
                audit_case_id=built["cases"]["NM0000103"],
                question_key="voice_comment",
                text="I like Fridays at Brownies.",
                theme="neglect",
                age_band="5 to 9",
            )
            session.add(quote)
            session.commit()
            quote_id = quote.id
        response = qa.post(
            f"/reports/sef/quotes/{quote_id}",
            {"text": "I like Fridays at Brownies.", "approve": "yes", "names_checked": "yes"},
        )
        assert response.status_code == 303
        with session_scope(app) as session:
            assert session.get(Quote, quote_id).approved


class TestPseudonyms:
    def test_resolution_shows_the_child_and_is_logged(self, app, qa, built):
        name = pseudonym("NM0000104", SECRET)
        response = qa.post("/reports/pseudonyms", {"pseudonym": name.lower()})
        assert response.status_code == 200 and "is child NM0000104" in response.text
        logged = access(app, "resolve_pseudonym")
        assert [(r.child_ref, r.detail, r.username) for r in logged] == [("NM0000104", name, "qa")]

    def test_an_unknown_pseudonym_is_not_found_and_not_logged(self, app, qa, built):
        response = qa.post("/reports/pseudonyms", {"pseudonym": "P-AAAAAAAAAA"})
        assert response.status_code == 404 and "P-AAAAAAAAAA" in response.text
        assert access(app, "resolve_pseudonym") == []

    def test_an_auditor_resolves_only_their_own_children(self, app, client, make_user, built):
        auditor = login(client, make_user, "audrey", "auditor")
        with session_scope(app) as session:
            from audit_app.models import User

            me = session.exec(select(User).where(User.username == "audrey")).one()
            case = session.get(AuditCase, built["cases"]["NM0000201"])
            case.auditor_id = me.id
            session.add(case)
            session.commit()
        assert (
            auditor.post(
                "/reports/pseudonyms", {"pseudonym": pseudonym("NM0000201", SECRET)}
            ).status_code
            == 200
        )
        assert (
            auditor.post(
                "/reports/pseudonyms", {"pseudonym": pseudonym("NM0000101", SECRET)}
            ).status_code
            == 404
        )

    def test_the_viewer_cannot_resolve(self, client, make_user, built):
        viewer = login(client, make_user, "vera", "viewer")
        assert (
            viewer.post(
                "/reports/pseudonyms", {"pseudonym": pseudonym("NM0000101", SECRET)}
            ).status_code
            == 403
        )


def test_exports_from_the_workspace_are_logged(app, qa, built):
    qa.post("/reports/sef/refresh", PERIOD)
    for fmt in ("docx", "xlsx", "csv.zip"):
        response = qa.client.get(f"/reports/sef/export/{fmt}")
        assert response.status_code == 200 and response.headers["Content-Disposition"].endswith(fmt)
    csv = qa.client.get("/reports/sef/tables/grade_distribution.csv")
    assert csv.status_code == 200 and csv.text.startswith("Grade,Cases,%,95% interval")
    details = [r.detail for r in access(app, "export_sef")]
    assert len(details) == 4 and details[0].startswith("docx: 01 January 2025 to 30 June 2025")
    assert qa.client.get("/reports/sef/tables/nothing.csv").status_code == 404


def test_charts_have_a_text_alternative_a_data_table_and_escaped_labels(app, qa, built):
    with session_scope(app) as session:
        from audit_app.models import Event

        event = session.exec(select(Event).where(Event.team == "North")).first()
        event.team = "<b>North</b>"
        session.add(event)
        session.commit()
    qa.post("/reports/sef/refresh", PERIOD)
    page = qa.client.get("/reports/sef").text
    for table_id in ("sef-grades-table", "sef-matrix-table"):
        assert f'aria-describedby="{table_id}"' in page and f'id="{table_id}"' in page
    assert 'role="img" aria-label="Quality against timeliness' in page
    assert ">Timely and good</text>" in page and ">Timely but not good</text>" in page
    assert "<b>North</b>" not in page and "&lt;b&gt;North&lt;/b&gt;" in page


def test_cohort_flows_come_from_the_journey_summaries_of_children_referred_in_the_period(
    app, built
):
    from datetime import date

    from audit_app.models import Child, JourneySummary
    from audit_app.reports.workspace import cohort_links

    paths = {
        "NM0000101": ["contact", "referral", "assessment", "cin"],
        "NM0000102": ["contact", "referral", "nfa"],
        "NM0000103": ["contact", "referral", "assessment", "s47", "cp_plan"],
        "NM0000999": ["contact", "referral", "assessment", "cin"],
    }  # referred in 2023
    with session_scope(app) as session:
        for ref, stages in paths.items():
            child = session.exec(select(Child).where(Child.child_ref == ref)).one()
            day = date(2023, 5, 1) if ref == "NM0000999" else date(2025, 2, 1)
            session.add(
                JourneySummary(
                    child_id=child.id,
                    events_hash="x",
                    first_referral=day,
                    latest_referral=day,
                    furthest_stage=stages[-1],
                    data={"stages": stages, "furthest_stage": stages[-1]},
                )
            )
        session.commit()
        flows = cohort_links(session=session, start=date(2025, 1, 1), end=date(2025, 6, 30))
    assert flows["children"] == 3
    assert sorted(map(tuple, flows["links"])) == [
        ("assessment", "cin", 1),
        ("assessment", "s47", 1),
        ("contact", "referral", 3),
        ("referral", "assessment", 2),
        ("referral", "nfa", 1),
        ("s47", "cp_plan", 1),
    ]
