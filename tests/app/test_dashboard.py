"""The dashboard shows what the database holds."""

from audit_app.seeding import load_cases, load_teams
from seed_cases.generator import generate


class TestDashboard:
    def test_counts_match_the_seeded_authority(self, app, make_user, auth, client):
        authority = generate(60, seed=7)
        cases = authority.cases()
        load_teams(authority.teams, engine=app.extensions["frontdoor_engine"])
        load_cases(cases, engine=app.extensions["frontdoor_engine"])
        make_user("vic", "viewer")
        auth.login("vic")
        page = client.get("/").text
        referrals = sum(1 for c in cases for e in c.events if e.kind == "referral")
        assert "Children" in page and f">{len(cases)}<" in page
        assert f">{referrals:,}<" in page

    def test_an_auditor_sees_the_cases_waiting_and_a_viewer_does_not(
        self, app, make_user, auth, client
    ):
        from datetime import date, timedelta

        from sqlmodel import select

        from audit_app.db import session_scope
        from audit_app.models import Audit, AuditCase, Child, User
        from tests.conftest import Auth

        authority = generate(30, seed=7)
        load_cases(authority.cases(), engine=app.extensions["frontdoor_engine"])
        make_user("ann", "auditor")
        make_user("vic", "viewer")
        with session_scope(app) as session:
            ann = session.exec(select(User).where(User.username == "ann")).one()
            kids = session.exec(select(Child.id).limit(3)).all()
            audit = Audit(title="A", theme="general", template_key="core-front-door",
                          template_version=1, template_fingerprint="x")  # fmt: skip
            session.add(audit)
            session.flush()
            past, later = date.today() - timedelta(days=3), date.today() + timedelta(days=9)
            for position, (child_id, due, status) in enumerate(
                zip(
                    kids,
                    (past, later, later),
                    ("in_progress", "not_started", "submitted"),
                    strict=True,
                ),  # fmt: skip
                start=1,
            ):
                case = AuditCase(audit_id=audit.id, child_id=child_id, position=position,
                                 auditor_id=ann.id, due_date=due, status=status,
                                 template_key="core-front-door", template_version=1)  # fmt: skip
                session.add(case)
            session.commit()
        auth.login("ann")
        page = client.get("/").text
        assert "Your audit cases" in page
        assert "<strong>2</strong> cases to audit" in page and "1 overdue" in page
        viewer = app.test_client()
        Auth(viewer).login("vic")
        assert "Your audit cases" not in viewer.get("/").text
