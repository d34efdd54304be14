"""Moderation: a practice manager or QA lead re-grades a share of submitted audits, blind.

Audits are picked by hand or drawn at random (a percentage of the submitted ones); an
audit graded Inadequate is moderated automatically (see ``casework.submit_case``).  The
moderator does not see the auditor's grades until their own are in; then both are shown
side by side and the moderator records agreement or disagreement.  The final grade is the
moderated grade; both are kept.  Agreement is reported per audit, per auditor and per
section with ``audit_forms.agreement``.
"""

import math
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import abort, flash, g, redirect, request, url_for
from sqlalchemy import update
from sqlmodel import Session, select

from audit_forms import AnswerError, agreement, grade_pairs, parse_answer
from audit_forms.agreement import Agreement
from audit_forms.answers import missing_message
from audit_forms.templates import Question, Template
from journeys import STAGE_LABELS

from ..access import log_access
from ..db import get_session
from ..models import Audit, AuditCase, Child, Moderation, utcnow
from ..permissions import requires
from ..rendering import render
from . import bp
from .casework import (
    STATUS_LABELS,
    _load,
    _page,
    _version,
    answers_of,
    grade_label,
    journey_panel,
    local_time,
    template_of,
    user_name,
)

__all__ = [
    "AgreementRow",
    "agreement_report",
    "finalise",
    "grade_questions",
    "record_agreement",
    "select_cases",
    "select_random",
    "submit_grades",
]


def grade_questions(template: Template) -> list[Question]:
    """The questions a moderator re-grades: every grade question, in order."""
    return [q for q in template.questions if q.type == "grade"]


def select_cases(case_ids, *, user_id: int, session: Session, selection: str = "chosen") -> int:
    """Put submitted, not yet moderated cases into moderation; returns how many; commits."""
    chosen = 0
    for case_id in case_ids:
        case = session.get(AuditCase, case_id)
        if case is None or case.status != "submitted":
            continue
        if session.exec(select(Moderation).where(Moderation.audit_case_id == case.id)).first():
            continue
        session.commit()  # write in a fresh transaction (see casework.save_answer)
        result = session.exec(
            update(AuditCase)
            .where(AuditCase.id == case.id, AuditCase.status == "submitted")
            .values(status="moderation", version=AuditCase.version + 1)
        )
        if result.rowcount == 1:
            session.add(Moderation(audit_case_id=case.id, selected_by=user_id, selection=selection))
            chosen += 1
    session.commit()
    return chosen


def eligible_cases(audit_id: int | None, *, session: Session) -> list[AuditCase]:
    """Submitted cases not yet picked for moderation."""
    moderated = select(Moderation.audit_case_id)
    statement = select(AuditCase).where(
        AuditCase.status == "submitted", AuditCase.id.not_in(moderated)
    )
    if audit_id is not None:
        statement = statement.where(AuditCase.audit_id == audit_id)
    return list(session.exec(statement.order_by(AuditCase.id)).all())


def select_random(
    percent: float,
    audit_id: int | None,
    *,
    user_id: int,
    session: Session,
    rng: secrets.SystemRandom | None = None,
) -> int:
    """Draw ``percent`` % (rounded up) of the eligible submitted cases at random into moderation."""
    pool = eligible_cases(audit_id, session=session)
    k = min(len(pool), math.ceil(len(pool) * percent / 100))
    picked = (rng or secrets.SystemRandom()).sample(pool, k)
    return select_cases(
        [c.id for c in picked], user_id=user_id, session=session, selection="random"
    )


def submit_grades(
    moderation: Moderation,
    case: AuditCase,
    template: Template,
    form,
    *,
    moderator_id: int,
    session: Session,
) -> list[tuple[str, str]]:
    """Record the moderator's blind grades (every grade question); errors as (key, message)."""
    if case.auditor_id == moderator_id:
        return [("moderation", "You audited this case, so someone else must moderate it")]
    grades, errors = {}, []
    for q in grade_questions(template):
        try:
            parsed = parse_answer(q, form.get(q.key, ""))
        except AnswerError as exc:
            errors.append((q.key, exc.message))
            continue
        if not parsed.answered:
            errors.append((q.key, missing_message(q)))
        grades[q.key] = parsed.to_json()
    if errors:
        return errors
    session.commit()  # write in a fresh transaction (see casework.save_answer)
    result = session.exec(
        update(Moderation)
        .where(Moderation.id == moderation.id, Moderation.submitted_at.is_(None))
        .values(grades=grades, moderator_id=moderator_id, submitted_at=utcnow())
    )
    session.commit()
    session.refresh(moderation)
    if result.rowcount != 1:
        return [("moderation", "Someone else submitted moderation grades for this audit first")]
    return []


def record_agreement(
    moderation: Moderation, case: AuditCase, verdict: str, note: str, *, session: Session
) -> list[tuple[str, str]]:
    """Agree or disagree (disagreeing needs a reason); the final grade becomes the moderated one."""
    if verdict not in ("agree", "disagree"):
        return [("agreement", "Select whether you agree with the auditor's grades")]
    if verdict == "disagree" and not note:
        return [("agreement_note", "Enter why you disagree")]
    if len(note) > 5000:
        return [("agreement_note", "The reason must be 5,000 characters or fewer")]
    final = (moderation.grades or {}).get("overall_grade") or case.overall_grade
    session.exec(
        update(Moderation)
        .where(Moderation.id == moderation.id)
        .values(agreement=verdict, note=note or None)
    )
    session.exec(
        update(AuditCase)
        .where(AuditCase.id == case.id)
        .values(status="moderated", final_grade=final, version=AuditCase.version + 1)
    )
    session.commit()
    session.refresh(moderation)
    session.refresh(case)
    return []


def finalise(case: AuditCase, *, read_version: int, user_id: int, session: Session) -> str | None:
    """Finalise a submitted (not selected) or moderated audit; returns an error or None."""
    if case.status not in ("submitted", "moderated"):
        label = STATUS_LABELS.get(case.status, case.status).lower()
        return f"An audit that is {label} cannot be finalised"
    session.commit()  # write in a fresh transaction (see casework.save_answer)
    result = session.exec(
        update(AuditCase)
        .where(
            AuditCase.id == case.id,
            AuditCase.version == read_version,
            AuditCase.status.in_(("submitted", "moderated")),
        )
        .values(
            status="finalised",
            finalised_at=utcnow(),
            finalised_by=user_id,
            final_grade=case.final_grade or case.overall_grade,
            version=read_version + 1,
        )
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(case)
        return "Someone else changed this audit since you opened it: check it and finalise again"
    session.commit()
    session.refresh(case)
    return None


# --- agreement --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    label: str
    result: Agreement
    cases: int

    @property
    def kappa_text(self) -> str:
        k = self.result.kappa
        return "—" if k.value is None else f"{k.value:.2f}"


def agreement_report(*, session: Session) -> dict[str, list[AgreementRow]]:
    """Auditor vs moderator grade agreement per audit, per auditor and per section."""
    rows = session.exec(
        select(Moderation, AuditCase, Audit)
        .join(AuditCase, AuditCase.id == Moderation.audit_case_id)
        .join(Audit, Audit.id == AuditCase.audit_id)
        .where(Moderation.submitted_at.is_not(None))
    ).all()
    groups: dict[str, dict[str, list]] = {
        "audit": defaultdict(list),
        "auditor": defaultdict(list),
        "section": defaultdict(list),
    }
    case_sets: dict[tuple[str, str], set] = defaultdict(set)
    for moderation, case, audit in rows:
        template = template_of(case, audit)
        answers = answers_of(case.id, session=session)
        auditor = user_name(case.auditor_id, session=session)
        for section in template.sections:
            for q in section.questions:
                if q.type != "grade" or q.scale is None:
                    continue
                mine = answers.get(q.key)
                pair = grade_pairs(
                    [(mine.value if mine else None, (moderation.grades or {}).get(q.key))], q.scale
                )
                for kind, label in (
                    ("audit", audit.title),
                    ("auditor", auditor),
                    ("section", section.title),
                ):
                    groups[kind][label].extend((p, len(q.scale.points)) for p in pair)
                    case_sets[(kind, label)].add(case.id)
    report: dict[str, list[AgreementRow]] = {}
    for kind, by_label in groups.items():
        report[kind] = []
        for label in sorted(by_label):
            tagged = by_label[label]
            categories = max((c for _, c in tagged), default=4)
            pairs = [p for p, c in tagged if c == categories]
            report[kind].append(
                AgreementRow(label, agreement(pairs, categories), len(case_sets[(kind, label)]))
            )
    return report


# --- pages ------------------------------------------------------------------------------------


def _percent(text: str | None) -> float | None:
    try:
        value = float((text or "").strip().rstrip("%"))
    except ValueError:
        return None
    return value if 0 < value <= 100 else None


def _home(*, status: int = 200, errors=None, form=None):
    session = get_session()
    audits = session.exec(select(Audit).order_by(Audit.title)).all()
    pending = session.exec(
        select(Moderation, AuditCase, Audit)
        .join(AuditCase, AuditCase.id == Moderation.audit_case_id)
        .join(Audit, Audit.id == AuditCase.audit_id)
        .order_by(Moderation.selected_at)
    ).all()
    eligible = [(c, session.get(Audit, c.audit_id)) for c in eligible_cases(None, session=session)]
    return render(
        "audits/moderation.html",
        status=status,
        audits=audits,
        pending=pending,
        eligible=eligible,
        report=agreement_report(session=session),
        errors=errors or [],
        form=form or {},
        names=lambda uid: user_name(uid, session=session),
        status_labels=STATUS_LABELS,
    )


@bp.route("/moderation")
@requires("manage_audits")
def moderation_home():
    return _home()


@bp.route("/moderation/select", methods=["POST"])
@requires("manage_audits")
def moderation_select():
    ids = []
    for raw in request.form.getlist("case_ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    if not ids:
        return _home(
            status=400, errors=[("case_ids", "Select at least one submitted audit to moderate")]
        )
    n = select_cases(ids, user_id=g.user.id, session=get_session())
    flash(f"{n} audit{'s' if n != 1 else ''} selected for moderation.", "success")
    return redirect(url_for("audits.moderation_home"), 303)


@bp.route("/moderation/random", methods=["POST"])
@requires("manage_audits")
def moderation_random():
    percent = _percent(request.form.get("percent"))
    if percent is None:
        return _home(
            status=400,
            form=request.form,
            errors=[
                (
                    "percent",
                    "Enter a percentage between 1 and 100, "
                    f"not ‘{request.form.get('percent', '')}’",
                )
            ],
        )
    try:
        audit_id = int(request.form["audit_id"]) if request.form.get("audit_id") else None
    except ValueError:
        audit_id = None
    n = select_random(percent, audit_id, user_id=g.user.id, session=get_session())
    flash(f"{n} audit{'s' if n != 1 else ''} drawn at random for moderation.", "success")
    return redirect(url_for("audits.moderation_home"), 303)


def _moderation_for(case: AuditCase) -> Moderation:
    moderation = (
        get_session().exec(select(Moderation).where(Moderation.audit_case_id == case.id)).first()
    )
    if moderation is None:
        abort(404)
    return moderation


def _moderation_page(
    case: AuditCase, moderation: Moderation, *, status: int = 200, errors=None, form=None
):
    session = get_session()
    audit = session.get(Audit, case.audit_id)
    child = session.get(Child, case.child_id)
    template = template_of(case, audit)
    questions = grade_questions(template)
    blind = moderation.submitted_at is None
    answers = {} if blind else answers_of(case.id, session=session)
    side_by_side = []
    for q in questions:
        auditor = answers.get(q.key).value if answers.get(q.key) else None
        moderator = (moderation.grades or {}).get(q.key)
        side_by_side.append(
            {
                "q": q,
                "auditor": grade_label(template, auditor) or "Not graded",
                "moderator": grade_label(template, moderator) or "Not graded",
                "same": auditor == moderator,
            }
        )
    return render(
        "audits/moderation_case.html",
        status=status,
        case=case,
        audit=audit,
        child=child,
        tmpl=template,
        questions=questions,
        moderation=moderation,
        blind=blind,
        side_by_side=side_by_side,
        journey=journey_panel(child, session=session, as_of=date.today()),
        errors=errors or [],
        form=form or {},
        auditor_name=user_name(case.auditor_id, session=session),
        moderator_name=user_name(moderation.moderator_id, session=session),
        own_audit=case.auditor_id == g.user.id,
        local_time=local_time,
        case_link=None,
        stage_labels=STAGE_LABELS,
    )


@bp.route("/moderation/case/<int:audit_case_id>", methods=["GET", "POST"])
@requires("manage_audits")
def moderation_case(audit_case_id: int):
    case = _load(audit_case_id)
    moderation = _moderation_for(case)
    session = get_session()
    if request.method == "GET":
        log_access(
            session.get(Child, case.child_id).child_ref,
            "moderate_audit_case",
            f"audit case {case.id}",
            session=session,
        )
        return _moderation_page(case, moderation)
    if moderation.submitted_at is not None:
        return _moderation_page(
            case,
            moderation,
            status=409,
            errors=[("moderation", "The moderation grades are already in")],
        )
    template = template_of(case, session.get(Audit, case.audit_id))
    errors = submit_grades(
        moderation, case, template, request.form, moderator_id=g.user.id, session=session
    )
    if errors:
        return _moderation_page(case, moderation, status=400, errors=errors, form=request.form)
    return redirect(
        url_for("audits.moderation_case", audit_case_id=case.id) + "#moderation-compare", 303
    )


@bp.route("/moderation/case/<int:audit_case_id>/agreement", methods=["POST"])
@requires("manage_audits")
def moderation_agree(audit_case_id: int):
    case = _load(audit_case_id)
    moderation = _moderation_for(case)
    if moderation.submitted_at is None or moderation.agreement:
        return _moderation_page(
            case,
            moderation,
            status=409,
            errors=[
                (
                    "agreement",
                    "Grade the audit first"
                    if moderation.submitted_at is None
                    else "Agreement is already recorded",
                )
            ],
        )
    if moderation.moderator_id != g.user.id:
        return _moderation_page(
            case,
            moderation,
            status=403,
            errors=[("agreement", "Only the moderator who graded this audit can record agreement")],
        )
    note = (request.form.get("agreement_note") or "").replace("\r\n", "\n").strip()
    errors = record_agreement(
        moderation, case, request.form.get("agreement", ""), note, session=get_session()
    )
    if errors:
        return _moderation_page(case, moderation, status=400, errors=errors, form=request.form)
    flash("Moderation recorded. The final grade is the moderated grade.", "success")
    return redirect(url_for("audits.moderation_case", audit_case_id=case.id), 303)


@bp.route("/case/<int:audit_case_id>/finalise", methods=["POST"])
@requires("manage_audits")
def case_finalise(audit_case_id: int):
    case = _load(audit_case_id)
    error = finalise(
        case,
        read_version=_version(request.form.get("case_version")),
        user_id=g.user.id,
        session=get_session(),
    )
    if error:
        return _page(case, status=409, errors=[("case-status", error)])
    flash("Audit finalised: it now counts in the roll-ups.", "success")
    return redirect(url_for("audits.case_page", audit_case_id=case.id), 303)
