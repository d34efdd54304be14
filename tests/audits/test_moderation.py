"""Moderation: picking, blind grading, side by side, agreement and finalising; agreement by hand."""

import re

import pytest
from sqlmodel import select

from audit_app.audits.moderation import agreement_report
from audit_app.db import session_scope
from audit_app.models import Answer, AuditCase, Moderation, User, utcnow
from tests.audits import test_casework
from tests.audits.test_casework import add_case, complete_form, login, submit, template_for

people = test_casework.people  # the fixture


def submitted_case(
    app, auditor="ann", ref="C-1001", overall="good", assessment="good", **kwargs
) -> int:
    case_id = add_case(app, auditor=auditor, ref=ref, **kwargs)
    form = complete_form(template_for(app, case_id), overall=overall, assessment_grade=assessment)
    assert submit(login(app, auditor), case_id, form).status_code == 303
    return case_id


def status_of(app, case_id):
    with session_scope(app) as s:
        return s.get(AuditCase, case_id).status


def moderation_of(app, case_id) -> Moderation | None:
    with session_scope(app) as s:
        return s.exec(select(Moderation).where(Moderation.audit_case_id == case_id)).first()


class TestPicking:
    def test_a_manager_picks_submitted_audits(self, app, people):
        chosen = submitted_case(app)
        draft = add_case(app, auditor="ann", ref="C-1002")
        pam = login(app, "pam")
        page = pam.client.get("/audits/moderation").text
        assert f'id="case_ids-{chosen}"' in page and f'id="case_ids-{draft}"' not in page
        assert (
            pam.post(
                "/audits/moderation/select", {"case_ids": [str(chosen), str(draft)]}
            ).status_code
            == 303
        )
        assert (
            status_of(app, chosen) == "moderation"
            and moderation_of(app, chosen).selection == "chosen"
        )
        assert status_of(app, draft) == "not_started" and moderation_of(app, draft) is None

    def test_a_percentage_drawn_at_random(self, app, people):
        ids = [submitted_case(app, ref=f"C-10{n}") for n in range(4)]
        pam = login(app, "pam")
        bad = pam.post("/audits/moderation/random", {"percent": "150"})
        assert (
            bad.status_code == 400 and "Enter a percentage between 1 and 100, not ‘150’" in bad.text
        )
        assert pam.post("/audits/moderation/random", {"percent": "50"}).status_code == 303
        picked = [i for i in ids if moderation_of(app, i)]
        assert len(picked) == 2 and all(moderation_of(app, i).selection == "random" for i in picked)

    def test_inadequate_is_listed_as_automatic(self, app, people):
        case_id = submitted_case(app, overall="inadequate")
        page = login(app, "pam").client.get("/audits/moderation").text
        assert "Graded Inadequate" in page
        assert f'href="/audits/moderation/case/{case_id}"' in page

    def test_auditors_cannot_moderate(self, app, people):
        case_id = submitted_case(app)
        assert login(app, "ann").client.get(f"/audits/moderation/case/{case_id}").status_code == 403


class TestBlindGrading:
    def moderated(self, app):
        case_id = submitted_case(app, overall="good", assessment="good")
        pam = login(app, "pam")
        pam.post("/audits/moderation/select", {"case_ids": [str(case_id)]})
        return case_id, pam

    def test_the_auditors_grades_stay_hidden_until_the_moderator_submits(self, app, people):
        case_id, pam = self.moderated(app)
        page = pam.client.get(f"/audits/moderation/case/{case_id}").text
        assert "The auditor's grades stay hidden until you submit yours" in page
        assert 'id="moderation-compare"' not in page
        form = page.split('action="/audits/moderation/case/', 1)[1].split("</form>", 1)[0]
        assert " checked" not in form  # nothing of the auditor's preselected
        assert "Seen in the record." not in page  # nor their rationale

    def test_every_grade_is_needed(self, app, people):
        case_id, pam = self.moderated(app)
        response = pam.post(f"/audits/moderation/case/{case_id}", {"overall_grade": "good"})
        assert response.status_code == 400
        assert '<a href="#assessment_grade">' in response.text
        assert moderation_of(app, case_id).submitted_at is None

    def test_side_by_side_then_agreement_and_the_final_grade(self, app, people):
        case_id, pam = self.moderated(app)
        graded = pam.post(
            f"/audits/moderation/case/{case_id}",
            {"assessment_grade": "good", "overall_grade": "requires_improvement"},
        )
        assert graded.status_code == 303
        page = pam.client.get(f"/audits/moderation/case/{case_id}").text
        compare = page.split('id="moderation-compare"', 1)[1]
        rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", compare, re.S)
        cells = [re.findall(r">([^<>]+)</(?:td|th|strong)>", row) for row in rows[1:]]
        assert cells[0][-3:] == ["Good", "Good", "Same"]
        assert cells[1][-3:] == ["Good", "Requires improvement to be good", "Different"]

        no_reason = pam.post(
            f"/audits/moderation/case/{case_id}/agreement", {"agreement": "disagree"}
        )
        assert no_reason.status_code == 400 and "Enter why you disagree" in no_reason.text
        done = pam.post(
            f"/audits/moderation/case/{case_id}/agreement",
            {"agreement": "disagree", "agreement_note": "Supervision was not reflective"},
        )
        assert done.status_code == 303
        with session_scope(app) as s:
            case = s.get(AuditCase, case_id)
        assert (case.status, case.overall_grade, case.final_grade) == (
            "moderated",
            "good",
            "requires_improvement",
        )
        moderation = moderation_of(app, case_id)
        assert (moderation.agreement, moderation.note) == (
            "disagree",
            "Supervision was not reflective",
        )

        assert (
            pam.post(
                f"/audits/case/{case_id}/finalise", {"case_version": str(case.version)}
            ).status_code
            == 303
        )
        with session_scope(app) as s:
            case = s.get(AuditCase, case_id)
            assert case.status == "finalised" and s.get(User, case.finalised_by).username == "pam"
        assert "Requires improvement to be good" in pam.client.get(f"/audits/case/{case_id}").text

    def test_nobody_moderates_their_own_audit(self, app, people):
        case_id = submitted_case(app, auditor="quinn")
        pam = login(app, "pam")
        pam.post("/audits/moderation/select", {"case_ids": [str(case_id)]})
        quinn = login(app, "quinn")
        assert (
            "You audited this case" in quinn.client.get(f"/audits/moderation/case/{case_id}").text
        )
        refused = quinn.post(
            f"/audits/moderation/case/{case_id}",
            {"assessment_grade": "good", "overall_grade": "good"},
        )
        assert refused.status_code == 400 and moderation_of(app, case_id).submitted_at is None

    def test_an_audit_in_moderation_cannot_be_finalised_yet(self, app, people):
        case_id, pam = self.moderated(app)
        response = pam.post(f"/audits/case/{case_id}/finalise", {"case_version": "3"})
        assert response.status_code == 409 and "in moderation cannot be finalised" in response.text


def moderated_directly(app, case_id: int, auditor: dict, moderator: dict) -> None:
    with session_scope(app) as s:
        for key, value in auditor.items():
            s.add(Answer(audit_case_id=case_id, question_key=key, value=value))
        s.add(Moderation(audit_case_id=case_id, grades=moderator, submitted_at=utcnow()))
        s.get(AuditCase, case_id).status = "moderated"
        s.commit()


class TestAgreement:
    @pytest.fixture
    def graded(self, app, people):
        first = add_case(app, auditor="ann", ref="C-1", title="Neglect audit")
        with session_scope(app) as s:
            audit_id = s.get(AuditCase, first).audit_id
        second = add_case(app, auditor="ann", ref="C-2", audit_id=audit_id)
        third = add_case(app, auditor="bob", ref="C-3", title="Missing audit")
        moderated_directly(
            app,
            first,
            {"assessment_grade": "good", "overall_grade": "good"},
            {"assessment_grade": "good", "overall_grade": "requires_improvement"},
        )
        moderated_directly(
            app,
            second,
            {"assessment_grade": "outstanding", "overall_grade": "good"},
            {"assessment_grade": "outstanding", "overall_grade": "good"},
        )
        moderated_directly(
            app,
            third,
            {"assessment_grade": "good", "overall_grade": "good"},
            {"assessment_grade": "good", "overall_grade": "good"},
        )

    def test_per_auditor_by_hand(self, app, graded):
        with session_scope(app) as s:
            report = agreement_report(session=s)
        ann = next(r for r in report["auditor"] if r.label == "ann")
        # pairs (good, good), (good, RI), (outstanding, outstanding), (good, good):
        # (1,1) (1,2) (0,0) (1,1)
        # exact 3/4; within one 4/4.  Linear weights 1, 2/3, 1/3, 0:
        # Po = (1 + 2/3 + 1 + 1)/4 = 11/12.
        # Auditor a = [1, 3, 0, 0], moderator b = [1, 2, 1, 0]: sum w a_i b_j = 8/3 + 10 = 38/3,
        # Pe = 38/48 = 19/24, kappa = (11/12 - 19/24) / (1 - 19/24) = (3/24) / (5/24) = 3/5.
        assert (ann.result.n, ann.cases) == (4, 2)
        assert (ann.result.exact.numerator, ann.result.within_one.numerator) == (3, 4)
        assert ann.result.kappa.value == pytest.approx(0.6)

    def test_all_agree_on_one_grade_has_no_kappa_and_says_why(self, app, graded):
        with session_scope(app) as s:
            report = agreement_report(session=s)
        bob = next(r for r in report["auditor"] if r.label == "bob")
        assert bob.result.exact.value == 1.0 and bob.kappa_text == "—"
        assert (
            bob.result.kappa.reason
            == "every grade from both people is the same, so kappa is undefined"
        )

    def test_per_section_by_hand(self, app, graded):
        with session_scope(app) as s:
            report = {r.label: r for r in agreement_report(session=s)["section"]}
        overall = report["Overall judgement"].result
        # (1,1) (1,2) (1,1): Po = (1 + 2/3 + 1)/3 = 8/9; a = [0, 3, 0, 0], b = [0, 2, 1, 0]:
        # Pe = (2 + 2/3) * 3 / 9 = 8/9, so kappa = 0: no better than chance on this spread.
        assert (overall.n, overall.exact.numerator) == (3, 2)
        assert overall.kappa.value == pytest.approx(0.0)
        assessment = report["Quality of assessment and analysis"].result
        assert assessment.exact.value == 1.0 and assessment.kappa.value == pytest.approx(1.0)

    def test_the_page_shows_n_percentages_and_the_reason_for_a_dash(self, app, graded):
        page = login(app, "pam").client.get("/audits/moderation").text
        by_auditor = page.split('id="agreement-auditor"', 1)[1].split("</table>", 1)[0]
        assert (
            "75% (3 of 4)" in by_auditor and "100% (4 of 4)" in by_auditor and "0.60" in by_auditor
        )
        assert (
            '—<br><span class="govuk-body-xs fda-muted">every grade from both people is the same'
            in by_auditor
        )
        assert 'id="agreement-audit"' in page and 'id="agreement-section"' in page
