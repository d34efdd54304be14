"""The auditor's page: journey beside the form, autosave, conflicts, submit, amend, tags, access."""

import re
from datetime import date

import pytest
from sqlmodel import Session, select

from audit_app.audits.casework import save_answer, template_of
from audit_app.db import engine, session_scope
from audit_app.models import (
    AccessLog,
    Answer,
    AnswerChange,
    Audit,
    AuditCase,
    Child,
    Event,
    Moderation,
    User,
)
from tests.conftest import Auth

HX = {"HX-Request": "true"}
TEAM = "Duty North"


def add_child(session, ref: str) -> int:
    """A child whose assessment took far longer than 45 working days, and a re-referral."""
    child = Child(child_ref=ref, dob=date(2015, 4, 1))
    session.add(child)
    session.flush()
    events = [
        ("contact", date(2025, 1, 6), None, {}),
        ("referral", date(2025, 1, 7), None, {"source": "6"}),
        ("assessment", date(2025, 1, 8), date(2025, 6, 30), {"outcome": "cin"}),
        ("referral", date(2025, 9, 1), None, {"referrals_last_12m": 1}),
    ]
    for kind, start, end, attrs in events:
        session.add(
            Event(
                child_id=child.id,
                kind=kind,
                start_date=start,
                end_date=end,
                occurrence=0,
                team=TEAM,
                worker="Worker W",
                **attrs,
            )
        )
    session.commit()
    return child.id


def add_case(
    app,
    *,
    auditor: str | None,
    ref: str = "C-1001",
    template: str = "core-front-door",
    title: str = "Neglect audit, autumn 2025",
    audit_id: int | None = None,
) -> int:
    with session_scope(app) as s:
        if audit_id is None:
            audit = Audit(title=title, theme="neglect", template_key=template, template_version=1)
            s.add(audit)
            s.flush()
            audit_id = audit.id
        user = s.exec(select(User).where(User.username == auditor)).one() if auditor else None
        case = AuditCase(
            audit_id=audit_id, child_id=add_child(s, ref), auditor_id=user.id if user else None
        )
        s.add(case)
        s.commit()
        return case.id


@pytest.fixture
def people(make_user):
    """An auditor (ann), a second auditor (bob), a practice manager and a QA lead."""
    make_user("ann", "auditor", team_name=TEAM)
    make_user("bob", "auditor")
    make_user("pam", "practice_manager")
    make_user("quinn", "qa_lead")
    return ("ann", "bob", "pam", "quinn")


def login(app, username: str) -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(username).status_code == 303
    return auth


def template_for(app, case_id):
    with session_scope(app) as s:
        case = s.get(AuditCase, case_id)
        return template_of(case, s.get(Audit, case.audit_id))


def complete_form(template, overall: str = "good", **overrides) -> dict:
    """A value for every required question (first option, or plain text/number)."""
    form: dict = {}
    for q in template.questions:
        if not q.required:
            continue
        if q.type in ("text",):
            form[q.key] = "Seen in the record."
        elif q.type == "number":
            form[q.key] = "3"
        elif q.type == "date":
            form[q.key] = "14/03/2025"
        elif q.type == "multiple_choice":
            form[q.key] = [q.values[0]]
        else:
            form[q.key] = q.values[0]
        form[f"{q.key}__version"] = "0"
    form["overall_grade"] = overall
    form["child_at_risk_now"] = "no"
    form.update(overrides)
    return form


def submit(auth: Auth, case_id: int, form: dict, action: str = "submit"):
    return auth.post(f"/audits/case/{case_id}", {**form, "action": action, "case_version": "1"})


def answer(app, case_id: int, key: str):
    with session_scope(app) as s:
        return s.exec(
            select(Answer).where(Answer.audit_case_id == case_id, Answer.question_key == key)
        ).first()


class TestThePage:
    def test_journey_summary_timeline_and_findings_beside_the_form(self, app, people):
        case_id = add_case(app, auditor="ann")
        page = login(app, "ann").client.get(f"/audits/case/{case_id}")
        assert page.status_code == 200
        html = page.text
        assert "Audit of child C-1001" in html
        assert 'id="case-journey"' in html and "<svg" in html and "Journey of child C-1001" in html
        # findings in view: the late assessment and the re-referral
        assert "Referral to assessment authorised within 45 working days" in html
        assert "Re-referral" in html
        # the questions of the audit's template version, each autosaving on change
        assert "Front door case-file audit, version 1" in html
        assert f'hx-post="/audits/case/{case_id}/answer/threshold_decision"' in html
        assert 'name="threshold_decision__evidence"' in html
        assert 'href="/cases/C-1001"' in html  # the journey page, for the detail

    def test_opening_the_page_is_logged_against_the_child(self, app, people):
        case_id = add_case(app, auditor="ann")
        login(app, "ann").client.get(f"/audits/case/{case_id}")
        with session_scope(app) as s:
            log = s.exec(select(AccessLog).where(AccessLog.child_ref == "C-1001")).all()
        assert [(row.username, row.action) for row in log] == [("ann", "view_audit_case")]

    def test_timeliness_is_prefilled_from_the_journey(self, app, people):
        case_id = add_case(app, auditor="ann")
        html = login(app, "ann").client.get(f"/audits/case/{case_id}").text
        field = re.search(r'<input[^>]*id="referral_to_assessment_days"[^>]*>', html).group(0)
        # 07/01/2025 (day 0) to 30/06/2025: 124 weekdays after the start, less Good Friday,
        # Easter Monday and the two May bank holidays = 120 working days
        assert 'value="120"' in field
        assert "From the journey: 120 working days (07/01/2025 to 30/06/2025)" in html

    def test_link_to_the_case_management_system_from_the_configured_pattern(self, app, people):
        app.config["CASE_SYSTEM_URL"] = "https://cms.example/child/{child_id}"
        case_id = add_case(app, auditor="ann", ref="C 7/1")
        html = login(app, "ann").client.get(f"/audits/case/{case_id}").text
        assert 'href="https://cms.example/child/C%207%2F1"' in html

    def test_no_link_without_a_pattern(self, app, people):
        case_id = add_case(app, auditor="ann")
        html = login(app, "ann").client.get(f"/audits/case/{case_id}").text
        assert "case-management system" not in html

    def test_a_theme_template_shows_its_own_questions(self, app, people):
        case_id = add_case(app, auditor="ann", template="neglect")
        html = login(app, "ann").client.get(f"/audits/case/{case_id}").text
        assert "Neglect themed audit, version 1" in html
        assert 'id="question-neglect_cumulative_harm_recognised"' in html


class TestAutosave:
    def test_one_answer_saves_and_says_when(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        response = auth.post(
            f"/audits/case/{case_id}/answer/seen_alone",
            {
                "seen_alone": "yes",
                "seen_alone__evidence": "case note 14/03/2025: seen alone at school",
                "seen_alone__version": "0",
            },
            headers=HX,
        )
        assert response.status_code == 200
        assert re.search(r"Saved at \d\d:\d\d", response.text)
        assert 'name="seen_alone__version" value="1"' in response.text
        assert "<html" not in response.text  # the partial only
        row = answer(app, case_id, "seen_alone")
        assert (row.value, row.evidence, row.version) == (
            "yes",
            "case note 14/03/2025: seen alone at school",
            1,
        )
        with session_scope(app) as s:
            case = s.get(AuditCase, case_id)
        assert (case.status, case.template_key, case.template_version) == (
            "in_progress",
            "core-front-door",
            1,
        )
        assert 'id="case-status-tag" hx-swap-oob="true">In progress<' in response.text

    def test_inline_validation_names_the_problem_and_saves_nothing(self, app, people):
        case_id = add_case(app, auditor="ann")
        response = login(app, "ann").post(
            f"/audits/case/{case_id}/answer/contact_to_referral_days",
            {"contact_to_referral_days": "two", "contact_to_referral_days__version": "0"},
            headers=HX,
        )
        assert (
            "The working days from contact to the referral decision must be a number, like 12"
            in response.text
        )
        assert answer(app, case_id, "contact_to_referral_days") is None

    def test_without_javascript_the_whole_form_saves_as_a_draft(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        response = submit(
            auth,
            case_id,
            {
                "threshold_decision": "appropriate",
                "threshold_decision__version": "0",
                "direct_work_tools": [],
                "direct_work_tools__version": "0",
            },
            action="draft",
        )
        assert response.status_code == 303
        assert answer(app, case_id, "threshold_decision").value == "appropriate"
        page = auth.client.get(response.headers["Location"]).text
        assert re.search(r'value="appropriate" checked', page)

    def test_the_same_url_without_htmx_saves_and_returns_to_the_question(self, app, people):
        case_id = add_case(app, auditor="ann")
        response = login(app, "ann").post(
            f"/audits/case/{case_id}/answer/seen_alone",
            {"seen_alone": "partly", "seen_alone__version": "0"},
        )
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/audits/case/{case_id}#question-seen_alone")
        assert answer(app, case_id, "seen_alone").value == "partly"

    def test_an_unchanged_answer_is_not_a_new_version(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        url = f"/audits/case/{case_id}/answer/seen_alone"
        auth.post(url, {"seen_alone": "yes", "seen_alone__version": "0"}, headers=HX)
        auth.post(url, {"seen_alone": "yes", "seen_alone__version": "1"}, headers=HX)
        assert answer(app, case_id, "seen_alone").version == 1
        with session_scope(app) as s:
            assert len(s.exec(select(AnswerChange)).all()) == 1


class TestNoLostUpdates:
    def test_the_second_save_gets_a_conflict_showing_the_first(self, app, people):
        case_id = add_case(app, auditor="ann")
        ann, pam = login(app, "ann"), login(app, "pam")
        url = f"/audits/case/{case_id}/answer/seen_alone"
        # both opened the page before either saved: both read version 0
        assert (
            "Saved at"
            in ann.post(url, {"seen_alone": "yes", "seen_alone__version": "0"}, headers=HX).text
        )
        clash = pam.post(url, {"seen_alone": "no", "seen_alone__version": "0"}, headers=HX)
        assert "Not saved: ann changed this answer" in clash.text
        assert "Their answer: <strong>Yes</strong>" in clash.text
        assert answer(app, case_id, "seen_alone").value == "yes"  # nothing overwritten
        # pam has now seen ann's answer (version 1) and chooses to keep hers
        assert 'name="seen_alone__version" value="1"' in clash.text
        assert (
            "Saved at"
            in pam.post(url, {"seen_alone": "no", "seen_alone__version": "1"}, headers=HX).text
        )
        with session_scope(app) as s:
            history = s.exec(select(AnswerChange).order_by(AnswerChange.id)).all()
        assert [(c.old_value, c.new_value) for c in history] == [(None, "yes"), ("yes", "no")]

    def test_two_database_sessions_racing_on_the_same_answer(self, app, people):
        case_id = add_case(app, auditor="ann")
        template = template_for(app, case_id)
        question = template.question("views_recorded")
        with session_scope(app) as s:
            ann_id = s.exec(select(User.id).where(User.username == "ann")).one()
            pam_id = s.exec(select(User.id).where(User.username == "pam")).one()
            first = save_answer(
                s.get(AuditCase, case_id),
                question,
                "partly",
                None,
                read_version=0,
                user_id=ann_id,
                session=s,
            )
        assert first.version == 1
        eng = engine(app)
        with (
            Session(eng, expire_on_commit=False) as one,
            Session(eng, expire_on_commit=False) as two,
        ):
            case_one, case_two = one.get(AuditCase, case_id), two.get(AuditCase, case_id)
            a = save_answer(
                case_one, question, "yes", "note A", read_version=1, user_id=ann_id, session=one
            )
            b = save_answer(
                case_two, question, "no", "note B", read_version=1, user_id=pam_id, session=two
            )
        assert a.changed and a.version == 2
        assert b.conflict is not None and not b.changed
        assert (b.conflict.display, b.conflict.evidence, b.conflict.by) == ("Yes", "note A", "ann")
        row = answer(app, case_id, "views_recorded")
        assert (row.value, row.evidence, row.version) == ("yes", "note A", 2)

    def test_a_conflict_in_the_whole_form_keeps_my_answer_on_screen(self, app, people):
        case_id = add_case(app, auditor="ann")
        ann, pam = login(app, "ann"), login(app, "pam")
        ann.post(
            f"/audits/case/{case_id}/answer/child_seen",
            {"child_seen": "yes", "child_seen__version": "0"},
            headers=HX,
        )
        response = submit(
            pam, case_id, {"child_seen": "partly", "child_seen__version": "0"}, action="draft"
        )
        assert response.status_code == 400
        assert (
            "ann changed this answer while you were editing: their answer is ‘Yes’" in response.text
        )
        assert re.search(
            r'id="child_seen-3" name="child_seen" type="radio" value="partly" checked',
            response.text,
        )
        assert answer(app, case_id, "child_seen").value == "yes"

    def test_submit_names_the_case_version_it_read(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        form = complete_form(template_for(app, case_id))
        auth.post(
            f"/audits/case/{case_id}/tags", {"tags": ["drift"], "case_version": "1"}
        )  # case now version 2
        response = submit(auth, case_id, form)
        assert response.status_code == 409
        assert "Someone else changed this audit since you opened it" in response.text
        with session_scope(app) as s:
            assert s.get(AuditCase, case_id).status == "in_progress"


class TestSubmit:
    def test_every_required_answer_is_needed_with_a_link_to_each(self, app, people):
        case_id = add_case(app, auditor="ann")
        form = complete_form(template_for(app, case_id))
        del form["seen_alone"], form["overall_rationale"]
        response = submit(login(app, "ann"), case_id, form)
        assert response.status_code == 400
        assert '<a href="#seen_alone">Select whether the child was seen alone</a>' in response.text
        assert '<a href="#overall_rationale">Enter why you gave this grade</a>' in response.text
        assert 'id="seen_alone"' in response.text  # the link's target exists
        with session_scope(app) as s:
            assert s.get(AuditCase, case_id).status == "in_progress"

    def test_submitted_audit_is_read_only(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        response = submit(auth, case_id, complete_form(template_for(app, case_id)))
        assert response.status_code == 303
        with session_scope(app) as s:
            case = s.get(AuditCase, case_id)
            assert (case.status, case.overall_grade) == ("submitted", "good")
            assert case.submitted_at is not None
        page = auth.client.get(response.headers["Location"]).text
        assert "Audit submitted" in page and 'id="case-form"' not in page
        assert f'href="/audits/case/{case_id}/amend/seen_alone"' in page
        late = auth.post(
            f"/audits/case/{case_id}/answer/seen_alone",
            {"seen_alone": "no", "seen_alone__version": "1"},
            headers=HX,
        )
        assert "This audit has been submitted: amend the answer instead" in late.text
        assert answer(app, case_id, "seen_alone").value == "yes"

    def test_graded_inadequate_goes_to_moderation_automatically(self, app, people):
        case_id = add_case(app, auditor="ann")
        submit(
            login(app, "ann"),
            case_id,
            complete_form(template_for(app, case_id), overall="inadequate"),
        )
        with session_scope(app) as s:
            assert s.get(AuditCase, case_id).status == "moderation"
            moderation = s.exec(select(Moderation).where(Moderation.audit_case_id == case_id)).one()
        assert moderation.selection == "inadequate"


class TestAmend:
    def submitted(self, app):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        assert submit(auth, case_id, complete_form(template_for(app, case_id))).status_code == 303
        return case_id, auth

    def test_an_amendment_needs_a_reason(self, app, people):
        case_id, auth = self.submitted(app)
        response = auth.post(
            f"/audits/case/{case_id}/amend/overall_grade",
            {"overall_grade": "requires_improvement", "overall_grade__version": "1"},
        )
        assert response.status_code == 400
        assert '<a href="#reason">Enter the reason for the amendment</a>' in response.text
        assert answer(app, case_id, "overall_grade").value == "good"

    def test_the_history_keeps_who_when_old_and_new_and_why(self, app, people):
        case_id, auth = self.submitted(app)
        response = auth.post(
            f"/audits/case/{case_id}/amend/overall_grade",
            {
                "overall_grade": "requires_improvement",
                "overall_grade__version": "1",
                "reason": "Re-read the supervision notes",
            },
        )
        assert response.status_code == 303
        with session_scope(app) as s:
            case = s.get(AuditCase, case_id)
            changes = s.exec(
                select(AnswerChange)
                .where(AnswerChange.question_key == "overall_grade")
                .order_by(AnswerChange.id)
            ).all()
        assert case.overall_grade == "requires_improvement" and case.status == "submitted"
        assert [(c.old_value, c.new_value, c.reason) for c in changes] == [
            (None, "good", None),
            ("good", "requires_improvement", "Re-read the supervision notes"),
        ]
        page = auth.client.get(f"/audits/case/{case_id}").text
        assert "Good → Requires improvement to be good" in page
        assert "Amended: Re-read the supervision notes" in page

    def test_amended_to_inadequate_goes_to_moderation(self, app, people):
        case_id, auth = self.submitted(app)
        auth.post(
            f"/audits/case/{case_id}/amend/overall_grade",
            {
                "overall_grade": "inadequate",
                "overall_grade__version": "1",
                "reason": "Missed the DV",
            },
        )
        with session_scope(app) as s:
            assert s.get(AuditCase, case_id).status == "moderation"
            moderation = s.exec(select(Moderation).where(Moderation.audit_case_id == case_id)).one()
        assert moderation.selection == "inadequate"

    def test_a_required_answer_cannot_be_amended_to_blank(self, app, people):
        case_id, auth = self.submitted(app)
        response = auth.post(
            f"/audits/case/{case_id}/amend/overall_rationale",
            {"overall_rationale": " ", "overall_rationale__version": "1", "reason": "typo"},
        )
        assert response.status_code == 400 and "Enter why you gave this grade" in response.text

    def test_a_stale_amendment_is_a_conflict(self, app, people):
        case_id, auth = self.submitted(app)
        pam = login(app, "pam")
        pam.post(
            f"/audits/case/{case_id}/amend/seen_alone",
            {
                "seen_alone": "partly",
                "seen_alone__version": "1",
                "reason": "Only seen with mother present",
            },
        )
        response = auth.post(
            f"/audits/case/{case_id}/amend/seen_alone",
            {"seen_alone": "no", "seen_alone__version": "1", "reason": "mine"},
        )
        assert response.status_code == 400
        assert (
            "pam changed this answer while you were editing: their answer is ‘Partly’"
            in response.text
        )
        assert answer(app, case_id, "seen_alone").value == "partly"


class TestTagsAndResponse:
    def test_tags_come_from_the_configured_list(self, app, people):
        app.config["LEARNING_TAGS"] = "chronology missing, drift, good direct work"
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        page = auth.client.get(f"/audits/case/{case_id}").text
        assert 'value="good direct work"' in page and 'value="plan not specific"' not in page
        auth.post(
            f"/audits/case/{case_id}/tags", {"tags": ["drift", "made up"], "case_version": "1"}
        )
        with session_scope(app) as s:
            assert s.get(AuditCase, case_id).tags == ["drift"]

    def test_the_practitioners_response_is_recorded_after_submission(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        submit(auth, case_id, complete_form(template_for(app, case_id)))
        response = auth.post(
            f"/audits/case/{case_id}/response",
            {
                "practitioner_response": "Agreed; will see the child alone next visit.",
                "case_version": "2",
            },
        )
        assert response.status_code == 303
        with session_scope(app) as s:
            assert (
                s.get(AuditCase, case_id).practitioner_response
                == "Agreed; will see the child alone next visit."
            )
        assert (
            "Agreed; will see the child alone next visit."
            in auth.client.get(f"/audits/case/{case_id}").text
        )


class TestAccess:
    def test_another_auditors_case_is_not_found(self, app, people):
        case_id = add_case(app, auditor="ann")
        bob = login(app, "bob")
        assert bob.client.get(f"/audits/case/{case_id}").status_code == 404
        assert (
            bob.post(
                f"/audits/case/{case_id}/answer/seen_alone",
                {"seen_alone": "no", "seen_alone__version": "0"},
                headers=HX,
            ).status_code
            == 404
        )
        assert bob.post(f"/audits/case/{case_id}", {"action": "submit"}).status_code == 404
        assert bob.client.get(f"/audits/case/{case_id}/amend/seen_alone").status_code == 404
        assert answer(app, case_id, "seen_alone") is None

    def test_managers_may_open_any_case_and_viewers_none(self, app, people, make_user):
        make_user("vic", "viewer")
        case_id = add_case(app, auditor="ann")
        assert login(app, "pam").client.get(f"/audits/case/{case_id}").status_code == 200
        assert login(app, "vic").client.get(f"/audits/case/{case_id}").status_code == 403

    def test_an_unknown_question_is_not_found(self, app, people):
        case_id = add_case(app, auditor="ann")
        assert (
            login(app, "ann")
            .post(f"/audits/case/{case_id}/answer/nope", {}, headers=HX)
            .status_code
            == 404
        )
