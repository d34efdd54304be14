"""The demo's example audit: drawn, shared out, part-completed (on both databases)."""

from datetime import date

from sqlmodel import select

from audit_app.db import engine, session_scope
from audit_app.demo_audit import EXAMPLE_TITLE, seed_example_audit, user_id_of
from audit_app.models import Answer, Audit, AuditCase, Moderation
from audit_app.reports.quality import scoped_cases
from audit_app.reports.workspace import default_scope
from audit_app.seeding import load_cases, load_teams
from seed_cases.generator import generate


def _seed_authority(app, children=400):
    authority = generate(children, 3)
    load_teams(authority.teams, engine=engine(app))
    load_cases(authority.iter_cases(), engine=engine(app))


def test_the_example_audit_has_a_sample_shared_out_and_three_cases_done(app, make_user):
    _seed_authority(app)
    for name, role in (("practice.manager", "practice_manager"), ("auditor", "auditor"),
                       ("auditor2", "auditor"), ("qa.lead", "qa_lead")):  # fmt: skip
        make_user(name, role)
    with app.app_context(), session_scope(app) as session:
        audit = seed_example_audit(session, manager_id=user_id_of(session))
        assert audit is not None and audit.title == EXAMPLE_TITLE
        cases = session.exec(select(AuditCase).where(AuditCase.audit_id == audit.id)).all()
        sampled = [c for c in cases if not c.reserve]
        assert len(sampled) == 10 and len(cases) > 10  # reserves drawn too
        assert {c.auditor_id for c in sampled} == {
            user_id_of(session, "auditor"),
            user_id_of(session, "auditor2"),
        }
        by_status = sorted(c.status for c in sampled)
        assert by_status.count("finalised") == 2  # by the QA lead: they count in the SEF
        assert {c.finalised_by for c in sampled if c.status == "finalised"} == {
            user_id_of(session, "qa.lead")
        }
        assert by_status.count("moderation") == 1  # the inadequate one, as always
        assert by_status.count("in_progress") == 1
        assert by_status.count("not_started") == 6
        inadequate = next(c for c in sampled if c.status == "moderation")
        assert inadequate.overall_grade == "inadequate"
        assert session.exec(
            select(Moderation).where(Moderation.audit_case_id == inadequate.id)
        ).first()
        assert session.exec(select(Answer).where(Answer.audit_case_id == inadequate.id)).first()
        # in the self-evaluation's default scope (audits due in the twelve months to today)
        counted = scoped_cases(default_scope(date.today()), session=session, secret=b"test")
        assert [a.id for a in counted["audits"]] == [audit.id]
        assert len(counted["cases"]) == 2  # the finalised ones
        # once only: a second call adds nothing
        assert seed_example_audit(session, manager_id=None) is None
        assert len(session.exec(select(Audit)).all()) == 1


def test_no_example_audit_without_referrals(app):
    with app.app_context(), session_scope(app) as session:
        assert seed_example_audit(session, manager_id=None) is None
