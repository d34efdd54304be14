"""An example audit for the demo: drawn, assigned and part-completed, so every page has content.

``frontdoor demo`` calls :func:`seed_example_audit` after loading the synthetic authority,
so a practice manager trying the product sees an audit in progress (a random sample of
the children referred in the last six months of the data, shared between the two demo
auditors), three submitted case audits — one graded inadequate, which goes to moderation
as every inadequate audit does, and two the QA lead has finalised, so they count in the
self-evaluation's roll-ups — and one started.  The answers are generated from a fixed
seed with synthetic comments: no real person is described.  It goes through the same
functions the pages use (create, draw, round-robin assignment, save, submit).
"""

import random
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from audit_forms.templates import Question, Template, builtin_templates, latest

from .audits.casework import save_answer, submit_case
from .audits.cohort import Exclusions, draw_sample, parse_rules
from .audits.moderation import finalise
from .audits.setup import auditors, create_audit, record_draw, round_robin
from .models import Audit, AuditCase, Event, User

__all__ = ["seed_example_audit", "user_id_of", "EXAMPLE_TITLE"]

EXAMPLE_TITLE = "Example: children referred in the last six months"
SAMPLE = 10
SEED = 20261201

#: (overall grade, share of "yes" among the yes/no/partly answers) for the submitted cases.
PROFILES = (("good", 0.85), ("requires_improvement", 0.55), ("inadequate", 0.25))

#: Synthetic comments: general practice observations, never about a named person.
COMMENTS = {
    "good": (
        "The record shows a clear rationale for the decision, with the history taken into "
        "account and the family's views recorded. Management oversight is visible at each "
        "stage."
    ),
    "requires_improvement": (
        "The decision was right, but the rationale is brief and the history is summarised "
        "rather than analysed. The child's views are recorded but do not visibly shape the plan."
    ),
    "inadequate": (
        "The assessment does not analyse the known risks, the child was not seen alone and "
        "there is no recorded management oversight of the decision to close."
    ),
}


def _latest_referral(session: Session) -> date | None:
    return session.exec(select(func.max(Event.start_date)).where(Event.kind == "referral")).one()


def _answer(question: Question, rng: random.Random, grade: str, share: float) -> str | list[str]:
    values = question.values
    if question.type == "grade":
        return grade
    if question.type == "yes_no_partly":
        roll = rng.random()
        if roll < share:
            return "yes"
        return "partly" if roll < share + (1 - share) / 2 else "no"
    if question.key == "child_at_risk_now":
        return "no"
    if question.type == "threshold":
        return values[0] if grade == "good" or rng.random() < share else rng.choice(values[1:])
    if question.type == "single_choice":
        return values[0] if grade == "good" else rng.choice(values)
    if question.type == "multiple_choice":
        return rng.sample(list(values), k=min(2, len(values)))
    if question.type == "text":
        return COMMENTS[grade] if question.required or rng.random() < 0.5 else ""
    return ""  # numbers and dates: the auditor confirms the journey's own figures


def _complete(case: AuditCase, template: Template, rng, grade, share, *, user_id, session):
    for question in template.questions:
        value = _answer(question, rng, grade, share)
        if value in ("", []):
            continue
        save_answer(case, question, value, None, read_version=0, user_id=user_id, session=session)


def seed_example_audit(session: Session, *, manager_id: int | None) -> Audit | None:
    """Create the example audit (once); None when the data hold no referrals to sample."""
    if session.exec(select(Audit.id).where(Audit.title == EXAMPLE_TITLE)).first():
        return None
    as_of = _latest_referral(session)
    if as_of is None:
        return None
    start = as_of - timedelta(days=183)
    template = latest(builtin_templates(), "core-front-door")
    rules = parse_rules({"event": "referral", "from": start.isoformat(), "to": as_of.isoformat()})
    audit = create_audit(
        {
            "title": EXAMPLE_TITLE,
            "theme": "front_door",
            "template_key": template.key,
            "template_version": template.version,
            "period_start": start,
            "period_end": as_of,
            # Due today: the self-evaluation's default scope (the twelve months to today)
            # takes audits by their due date, so the finalised cases show in sections 5 and 8.
            "due_date": date.today(),
        },
        rules,
        session=session,
        user_id=manager_id,
    )
    drawn = draw_sample(
        rules, session=session, as_of=as_of, n=SAMPLE, seed=SEED, exclusions=Exclusions()
    )
    params = {"exclude_months": 0, "exclude_open": False, "size_working": None}
    record_draw(audit, drawn, params, session=session, user_id=manager_id)
    team = auditors(session=session)
    plain = [u for u in team if u.username.startswith("auditor")] or team
    round_robin(audit, plain, audit.due_date, session=session)
    cases = session.exec(
        select(AuditCase)
        .where(AuditCase.audit_id == audit.id, AuditCase.reserve.is_(False))
        .order_by(AuditCase.position)
    ).all()
    rng = random.Random(SEED)
    for case, (grade, share) in zip(cases, PROFILES, strict=False):
        _complete(case, template, rng, grade, share, user_id=case.auditor_id, session=session)
        session.refresh(case)
        problem = submit_case(
            case, template, read_version=case.version, user_id=case.auditor_id, session=session
        )
        if problem is not None:  # the generated answers must make a complete audit
            raise RuntimeError(f"The example audit could not be submitted: {problem}")
    qa_lead = user_id_of(session, "qa.lead")
    for case in cases[: len(PROFILES)]:
        session.refresh(case)
        if qa_lead is not None and case.status == "submitted":  # not the one in moderation
            problem = finalise(case, read_version=case.version, user_id=qa_lead, session=session)
            if problem is not None:
                raise RuntimeError(f"The example audit could not be finalised: {problem}")
    if len(cases) > len(PROFILES):
        started = cases[len(PROFILES)]
        partial = [q for q in template.questions if q.type == "yes_no_partly"][:8]
        for question in partial:
            save_answer(
                started,
                question,
                "yes",
                None,
                read_version=0,
                user_id=started.auditor_id,
                session=session,
            )
    return audit


def user_id_of(session: Session, username: str = "practice.manager") -> int | None:
    """The id of the user called ``username`` (the demo's practice manager by default)."""
    return session.exec(select(User.id).where(User.username == username)).first()
