"""A small literal set of audits for the SEF tests, with every figure worked out by hand.

Two audits in the period (neglect: 6 planned, 5 finalised; domestic abuse: 4 planned,
3 finalised, 1 submitted), one audit outside it, a reserve and a replaced case that never
count.  The expected figures are in ``EXPECTED``; the comments say where each comes from.
"""

from datetime import UTC, date, datetime

from sqlmodel import Session

from audit_app.models import (
    Answer,
    Audit,
    AuditAction,
    AuditCase,
    Child,
    Event,
    Moderation,
    Quote,
    User,
)

START, END = date(2025, 1, 1), date(2025, 6, 30)
FINALISED = datetime(2025, 6, 1, 12, tzinfo=UTC)

# ref, dob, audit, status, overall grade, final grade, auditor, team, answers, tags
CASES = [
    (
        "NM0000101",
        date(2015, 3, 14),
        "A",
        "finalised",
        "good",
        None,
        "ann",
        "North",
        dict(
            threshold_decision="appropriate",
            management_oversight_evident="yes",
            seen_alone="yes",
            made_a_difference="improved",
            views_influenced_plan="yes",
            referral_to_assessment_days=30,
            voice_comment="I feel safer now. Mum listens to me.",
        ),
        [],
    ),
    (
        "NM0000102",
        date(2012, 7, 2),
        "A",
        "finalised",
        "good",
        None,
        "ann",
        "North",
        dict(
            threshold_decision="appropriate",
            management_oversight_evident="yes",
            seen_alone="no",
            made_a_difference="improved",
            views_influenced_plan="yes",
            referral_to_assessment_days=50,
            voice_comment="I told Kayleigh at school on 3/4/2024 about it",
        ),
        [],
    ),
    (
        "NM0000103",
        date(2019, 1, 20),
        "A",
        "finalised",
        "requires_improvement",
        None,
        "ann",
        "North",
        dict(
            threshold_decision="should_have_been_higher",
            management_oversight_evident="no",
            seen_alone="not_applicable",
            made_a_difference="no_change",
            views_influenced_plan="partly",
            referral_to_assessment_days=20,
            overall_rationale="No chronology on file; drift after the strategy discussion.",
        ),
        ["chronology", "drift"],
    ),
    (
        "NM0000104",
        date(2010, 11, 5),
        "A",
        "finalised",
        "inadequate",
        None,
        "ann",
        "North",
        dict(
            threshold_decision="should_have_been_higher",
            management_oversight_evident="no",
            seen_alone="no",
            made_a_difference="worse",
            views_influenced_plan="no",
            strategy_to_icpc_days=18,
            overall_rationale="Drift and no management oversight.",
        ),
        ["drift"],
    ),
    (
        "NM0000105",
        date(2024, 9, 1),
        "A",
        "finalised",
        "good",
        "outstanding",
        "ann",
        "South",
        dict(
            threshold_decision="appropriate",
            management_oversight_evident="yes",
            seen_alone="yes",
            made_a_difference="improved",
            views_influenced_plan="yes",
            referral_to_assessment_days=40,
        ),
        [],
    ),
    ("NM0000106", date(2016, 2, 2), "A", "in_progress", None, None, "ann", "South", {}, []),
    (
        "NM0000201",
        date(2013, 5, 5),
        "B",
        "finalised",
        "good",
        None,
        "bob",
        "South",
        dict(
            threshold_decision="appropriate",
            management_oversight_evident="yes",
            seen_alone="yes",
            made_a_difference="too_early",
            views_influenced_plan="yes",
        ),
        [],
    ),
    (
        "NM0000202",
        date(2008, 8, 8),
        "B",
        "finalised",
        "inadequate",
        None,
        "bob",
        None,
        dict(
            threshold_decision="should_have_been_lower",
            management_oversight_evident="partly",
            seen_alone="no",
            made_a_difference="worse",
            views_influenced_plan="no",
        ),
        ["drift", "voice"],
    ),
    (
        "NM0000203",
        date(2011, 4, 4),
        "B",
        "finalised",
        "requires_improvement",
        None,
        "bob",
        "South",
        dict(
            management_oversight_evident="not_applicable",
            seen_alone="yes",
            made_a_difference="improved",
            views_influenced_plan="partly",
            strategy_to_icpc_days=10,
        ),
        [],
    ),
    ("NM0000204", date(2014, 6, 6), "B", "submitted", "good", None, "bob", "South", {}, []),
]
MODERATIONS = {
    "NM0000105": "outstanding",
    "NM0000104": "inadequate",
    "NM0000101": "good",
    "NM0000202": "requires_improvement",
}
# ref -> (description, due, status)
ACTIONS = {
    "NM0000103": [
        ("Write a chronology", date(2025, 5, 1), "open"),
        ("Supervision", date(2025, 5, 1), "done"),
    ],
    "NM0000104": [("Review the plan", date(2025, 9, 1), "open")],
    "NM0000202": [("See the child alone", None, "open")],
}

EXPECTED = {
    "planned": 10,
    "due": 10,
    "completed_of_due": (9, 10),  # 8 finalised + 1 submitted; the one in progress is not
    "number_audited": 8,
    "grades": {"outstanding": 1, "good": 3, "requires_improvement": 2, "inadequate": 2},
    "good_or_better": (4, 8),
    "inadequate": (2, 8),
    "theme": {"neglect": (3, 5, "1"), "domestic abuse": (1, 3, "too few to compare")},
    "threshold": {
        "appropriate": 4,
        "should_have_been_higher": 2,
        "should_have_been_lower": 1,
        "n": 7,
    },
    "management_oversight_evident": (4, 7),
    "seen_alone": (4, 7),
    "made_a_difference": (4, 7),
    "views_influenced_plan": (4, 8),
    "actions": {"cases_with_actions": (3, 8), "actions": 4, "open": 3, "overdue": 1, "done": 1},
    "moderation": {"n": 4, "exact": 2, "within_one": 4},
    "quadrants": {
        "Timely and good": 3,
        "Good but late": 1,
        "Timely but not good": 2,
        "Late and not good": 1,
    },
    "untimed": 1,
}


def build(session: Session, *, with_quote: bool = True) -> dict[str, object]:
    """Write the literal audits; returns ids and the child refs and dates of birth used."""
    users = {}
    for name in ("ann", "bob", "mod"):
        user = User(username=name, display_name=f"{name.title()} Auditor", password_hash="x")
        session.add(user)
        session.flush()
        users[name] = user.id
    audits = {
        "A": Audit(
            title="Neglect audit",
            theme="neglect",
            template_key="neglect",
            due_date=date(2025, 3, 31),
        ),
        "B": Audit(
            title="Domestic abuse audit",
            theme="domestic_abuse",
            template_key="domestic-abuse-toxic-trio",
            due_date=date(2025, 6, 30),
        ),
        "C": Audit(
            title="Old audit", theme="neglect", template_key="neglect", due_date=date(2024, 1, 31)
        ),
    }
    for audit in audits.values():
        session.add(audit)
    session.flush()
    case_ids: dict[str, int] = {}
    refs, dobs = [], []

    def child(ref: str, dob: date, team: str | None) -> Child:
        row = Child(child_ref=ref, dob=dob, sex="1", ethnicity="WBRI")
        session.add(row)
        session.flush()
        refs.append(ref)
        dobs.append(dob)
        if team:
            session.add(
                Event(
                    child_id=row.id,
                    kind="referral",
                    start_date=date(2025, 1, 6),
                    team=team,
                    worker="Jo Bloggs",
                )
            )
        return row

    for ref, dob, key, status, overall, final, auditor, team, answers, tags in CASES:
        row = child(ref, dob, team)
        if ref == "NM0000201":  # no confirmed figure: timeliness from the journey's own events
            session.add(
                Event(
                    child_id=row.id,
                    kind="assessment",
                    start_date=date(2025, 1, 7),
                    end_date=date(2025, 2, 3),
                    team=team,
                )
            )
        case = AuditCase(
            audit_id=audits[key].id,
            child_id=row.id,
            status=status,
            overall_grade=overall,
            final_grade=final,
            auditor_id=users[auditor],
            tags=tags,
            finalised_at=FINALISED if status == "finalised" else None,
            template_key=audits[key].template_key,
            template_version=1,
        )
        session.add(case)
        session.flush()
        case_ids[ref] = case.id
        if overall:
            answers = {**answers, "overall_grade": overall}
        for question, value in answers.items():
            session.add(Answer(audit_case_id=case.id, question_key=question, value=value))
    # never counted: a reserve, a replaced case, and a finalised case of an audit outside the period
    for ref, extra in (("NM0000901", dict(reserve=True)), ("NM0000902", dict(replaced=True))):
        row = child(ref, date(2017, 1, 1), None)
        session.add(
            AuditCase(
                audit_id=audits["A"].id,
                child_id=row.id,
                status="finalised",
                overall_grade="inadequate",
                finalised_at=FINALISED,
                **extra,
            )
        )
    row = child("NM0000999", date(2009, 9, 9), None)
    session.add(
        AuditCase(
            audit_id=audits["C"].id,
            child_id=row.id,
            status="finalised",
            overall_grade="inadequate",
            finalised_at=FINALISED,
        )
    )
    for ref, grade in MODERATIONS.items():
        session.add(
            Moderation(
                audit_case_id=case_ids[ref],
                moderator_id=users["mod"],
                grades={"overall_grade": grade},
                submitted_at=FINALISED,
            )
        )
    for ref, actions in ACTIONS.items():
        for description, due, status in actions:
            session.add(
                AuditAction(
                    audit_case_id=case_ids[ref],
                    description=description,
                    owner="Team manager",
                    due_date=due,
                    status=status,
                )
            )
    if with_quote:
        session.add(
            Quote(
                audit_case_id=case_ids["NM0000101"],
                question_key="voice_comment",
                text="I feel safer now. Mum listens to me.",
                theme="neglect",
                age_band="10 to 15",
                approved=True,
            )
        )
    session.commit()
    return {
        "audits": {k: a.id for k, a in audits.items()},
        "cases": case_ids,
        "refs": refs,
        "dobs": dobs,
        "users": users,
    }
