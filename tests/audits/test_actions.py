"""Actions from an audit: raised with owner and due date, closed with evidence, filtered."""

from datetime import date, timedelta

from sqlmodel import select

from audit_app.audits.actions import ActionFilters, is_overdue, list_actions
from audit_app.db import session_scope
from audit_app.models import AuditAction, AuditCase
from tests.audits import test_casework
from tests.audits.test_casework import TEAM, add_case, login

people = test_casework.people  # the fixture

TODAY = date.today()


def add_action(
    auth,
    case_id,
    description="Send the chronology to the team manager",
    owner="Team manager North",
    due=None,
):
    due = due or (TODAY + timedelta(days=14))
    return auth.post(
        f"/audits/case/{case_id}/actions",
        {
            "action_description": description,
            "action_owner": owner,
            "action_due_date": due.strftime("%d/%m/%Y"),
        },
    )


def actions(app):
    with session_scope(app) as s:
        return s.exec(select(AuditAction).order_by(AuditAction.id)).all()


class TestRaising:
    def test_description_owner_and_a_real_due_date_are_needed(self, app, people):
        case_id = add_case(app, auditor="ann")
        response = login(app, "ann").post(
            f"/audits/case/{case_id}/actions",
            {"action_description": "", "action_owner": "", "action_due_date": "31/02/2026"},
        )
        assert response.status_code == 400
        assert '<a href="#action_description">Enter what needs to be done</a>' in response.text
        assert '<a href="#action_owner">Enter who owns the action</a>' in response.text
        assert '<a href="#action_due_date">The due date must be a real date</a>' in response.text
        assert actions(app) == []

    def test_an_action_belongs_to_the_case_and_the_childs_team(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        assert add_action(auth, case_id).status_code == 303
        [action] = actions(app)
        assert (action.audit_case_id, action.team, action.status) == (case_id, TEAM, "open")
        assert (
            "Send the chronology to the team manager"
            in auth.client.get(f"/audits/case/{case_id}").text
        )


class TestClosing:
    def test_done_needs_closing_evidence(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        add_action(auth, case_id)
        [action] = actions(app)
        refused = auth.post(
            f"/audits/actions/{action.id}", {"action_status": "done", "action_version": "1"}
        )
        assert (
            refused.status_code == 400
            and "Enter the evidence that the action is done" in refused.text
        )
        done = auth.post(
            f"/audits/actions/{action.id}",
            {
                "action_status": "done",
                "closing_evidence": "Chronology on file 02/12/2025",
                "action_version": "1",
            },
        )
        assert done.status_code == 303
        [action] = actions(app)
        assert (action.status, action.closing_evidence) == ("done", "Chronology on file 02/12/2025")
        assert action.closed_at is not None

    def test_a_stale_update_is_refused(self, app, people):
        case_id = add_case(app, auditor="ann")
        auth = login(app, "ann")
        add_action(auth, case_id)
        [action] = actions(app)
        auth.post(
            f"/audits/actions/{action.id}",
            {"action_status": "done", "closing_evidence": "x", "action_version": "1"},
        )
        stale = login(app, "pam").post(
            f"/audits/actions/{action.id}", {"action_status": "open", "action_version": "1"}
        )
        assert stale.status_code == 400 and "Someone else updated this action" in stale.text
        assert actions(app)[0].status == "done"


class TestOverdue:
    def test_overdue_is_open_and_past_due(self):
        yesterday = TODAY - timedelta(days=1)
        assert is_overdue(
            AuditAction(audit_case_id=1, description="d", owner="o", due_date=yesterday), TODAY
        )
        assert not is_overdue(
            AuditAction(audit_case_id=1, description="d", owner="o", due_date=TODAY), TODAY
        )
        assert not is_overdue(
            AuditAction(
                audit_case_id=1, description="d", owner="o", due_date=yesterday, status="done"
            ),
            TODAY,
        )


class TestTheList:
    def setup_actions(self, app):
        ann_case = add_case(app, auditor="ann", title="Neglect audit")
        bob_case = add_case(app, auditor="bob", ref="C-2002", title="Missing audit")
        ann, bob = login(app, "ann"), login(app, "bob")
        add_action(ann, ann_case, "Overdue chronology", owner="Amy", due=TODAY - timedelta(days=3))
        add_action(ann, ann_case, "Future supervision", owner="Ben")
        add_action(bob, bob_case, "Bob's missing-episode review", owner="Amy")
        with session_scope(app) as s:
            s.exec(select(AuditAction).where(AuditAction.owner == "Ben")).one().team = "South"
            s.commit()
        return ann, bob

    def test_filters_by_audit_team_owner_status_and_overdue(self, app, people):
        self.setup_actions(app)
        pam = login(app, "pam")

        def shown(query):
            html = pam.client.get(f"/audits/actions{query}").text
            return sorted(
                d
                for d in (
                    "Overdue chronology",
                    "Future supervision",
                    "Bob&#39;s missing-episode review",
                )
                if d in html
            )

        assert shown("") == [
            "Bob&#39;s missing-episode review",
            "Future supervision",
            "Overdue chronology",
        ]
        assert shown("?owner=Amy") == ["Bob&#39;s missing-episode review", "Overdue chronology"]
        assert shown("?team=South") == ["Future supervision"]
        assert shown("?overdue=1") == ["Overdue chronology"]
        assert shown("?status=done") == []
        with session_scope(app) as s:
            audit_id = s.get(AuditCase, actions(app)[2].audit_case_id).audit_id
        assert shown(f"?audit={audit_id}") == ["Bob&#39;s missing-episode review"]

    def test_overdue_is_marked_in_the_list_and_the_partial_is_just_the_table(self, app, people):
        self.setup_actions(app)
        pam = login(app, "pam")
        partial = pam.client.get("/audits/actions?overdue=1", headers={"HX-Request": "true"})
        assert partial.text.lstrip().startswith('<div id="action-rows">')
        assert "Overdue</strong>" in partial.text and "1 action, 1 overdue" in partial.text

    def test_an_auditor_sees_only_the_actions_of_their_own_cases(self, app, people):
        self.setup_actions(app)
        html = login(app, "bob").client.get("/audits/actions").text
        assert "Bob&#39;s missing-episode review" in html and "Overdue chronology" not in html
        [anns] = [a for a in actions(app) if a.description == "Overdue chronology"]
        assert login(app, "bob").client.get(f"/audits/actions/{anns.id}").status_code == 404

    def test_list_actions_data_function(self, app, people):
        self.setup_actions(app)
        from audit_app.users import CurrentUser

        manager = CurrentUser(0, "m", "m", frozenset({"qa_lead"}), None, None)
        with session_scope(app) as s:
            rows = list_actions(ActionFilters(overdue=True), manager, session=s, today=TODAY)
        assert [(r.action.description, r.overdue) for r in rows] == [("Overdue chronology", True)]
