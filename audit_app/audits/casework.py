"""The auditor's page: the child's journey beside the form, autosaved answers, submit and amend.

Every answer carries a version (optimistic lock): a save names the version it read, and a
save against a newer version is refused with the other person's answer shown, never
written over it.  The audit case's own version guards submit, tags and the response.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import abort, current_app, g, redirect, request, url_for
from markupsafe import Markup
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from audit_forms import AnswerError, Template, builtin_templates, missing_required, parse_answer
from audit_forms.answers import missing_message
from audit_forms.prefill import prefill_answers
from audit_forms.templates import Question
from journeys import STAGE_LABELS

from ..access import log_access
from ..cases.journey import journey_svg, load_journey
from ..db import get_session
from ..models import Answer, AnswerChange, Audit, AuditCase, Child, Moderation, User, utcnow
from ..permissions import requires
from ..rendering import is_partial_request, render
from . import bp

__all__ = [
    "STATUS_LABELS",
    "Conflict",
    "SaveOutcome",
    "amend_answer",
    "case_for",
    "learning_tags",
    "save_answer",
    "submit_case",
    "template_of",
]

LONDON = ZoneInfo("Europe/London")
EDITABLE = ("not_started", "in_progress")
AMENDABLE = ("submitted", "moderation", "moderated")
STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "moderation": "In moderation",
    "moderated": "Moderated",
    "finalised": "Finalised",
}
STATUS_COLOURS = {
    "not_started": "grey",
    "in_progress": "light-blue",
    "submitted": "blue",
    "moderation": "yellow",
    "moderated": "turquoise",
    "finalised": "green",
}
DEFAULT_TAGS = (
    "chronology missing",
    "drift",
    "good direct work",
    "child not seen alone",
    "voice of the child missing",
    "management oversight missing",
    "strong multi-agency working",
    "threshold not applied",
    "delay in assessment",
    "plan not specific",
)
EVIDENCE_MAX = 5000
RESPONSE_MAX = 10000
MANAGERS = frozenset({"practice_manager", "qa_lead"})


@lru_cache(maxsize=1)
def _templates() -> dict[tuple[str, int], Template]:
    return builtin_templates()


def template_of(case: AuditCase, audit: Audit) -> Template:
    """The template version the audit started with (the case's own pin wins)."""
    key = case.template_key or audit.template_key
    version = case.template_version or audit.template_version
    return _templates()[(key, version)]


def learning_tags() -> tuple[str, ...]:
    """The configured learning tags (``FRONTDOOR_LEARNING_TAGS``, comma-separated)."""
    configured = current_app.config.get("LEARNING_TAGS") or ""
    tags = tuple(t.strip() for t in configured.split(",") if t.strip())
    return tags or DEFAULT_TAGS


def case_system_link(child_ref: str) -> str | None:
    """The child's record in the case-management system, from ``FRONTDOOR_CASE_URL``."""
    pattern = current_app.config.get("CASE_SYSTEM_URL")
    if not pattern or not pattern.startswith(("https://", "http://")):
        return None
    from urllib.parse import quote

    try:
        return pattern.format(child_id=quote(child_ref, safe=""))
    except (KeyError, IndexError, ValueError):
        return None


def is_manager(user) -> bool:
    return bool(MANAGERS & set(user.roles))


def case_for(audit_case_id: int, user, *, session: Session) -> AuditCase | None:
    """The audit case if ``user`` may see it: its auditor, or a practice manager / QA lead."""
    case = session.get(AuditCase, audit_case_id)
    if case is None or case.reserve:
        return None
    if is_manager(user) or case.auditor_id == user.id:
        return case
    return None


def local_time(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON)


def user_name(user_id: int | None, *, session: Session) -> str:
    user = session.get(User, user_id) if user_id else None
    return (user.display_name or user.username) if user else "someone"


# --- answers ------------------------------------------------------------------------------


@dataclass
class Conflict:
    """The answer someone else saved since this person read it."""

    key: str
    display: str
    evidence: str | None
    by: str
    at: datetime | None
    version: int


@dataclass
class SaveOutcome:
    key: str
    version: int = 0
    saved_at: datetime | None = None
    error: str | None = None
    conflict: Conflict | None = None
    changed: bool = False


def display_value(question: Question, value) -> str:
    """A stored value as the auditor reads it."""
    if value is None or value == "" or value == []:
        return "Not answered"
    if isinstance(value, list):
        return ", ".join(question.option_label(v) for v in value)
    if question.type == "date":
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except (TypeError, ValueError):
            return str(value)
    if question.type in ("number", "text"):
        return str(value)
    return question.option_label(str(value))


def form_value(question: Question, value):
    """A stored value as the form field holds it (a list for several choices)."""
    if value is None:
        return [] if question.type == "multiple_choice" else ""
    if question.type == "multiple_choice":
        return list(value)
    if question.type == "date":
        return display_value(question, value)
    return str(value)


def raw_input(question: Question, form) -> str | list[str]:
    return (
        form.getlist(question.key)
        if question.type == "multiple_choice"
        else form.get(question.key, "")
    )


def _clean_text(text: str | None) -> str | None:
    cleaned = (text or "").replace("\r\n", "\n").strip()
    return cleaned or None


def _version(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0


def answers_of(case_id: int, *, session: Session) -> dict[str, Answer]:
    rows = session.exec(select(Answer).where(Answer.audit_case_id == case_id)).all()
    return {row.question_key: row for row in rows}


def _conflict(question: Question, row: Answer, *, session: Session) -> Conflict:
    return Conflict(
        key=question.key,
        display=display_value(question, row.value),
        evidence=row.evidence,
        by=user_name(row.updated_by, session=session),
        at=local_time(row.updated_at),
        version=row.version,
    )


def save_answer(
    case: AuditCase,
    question: Question,
    raw: str | list[str],
    evidence: str | None,
    *,
    read_version: int,
    user_id: int,
    session: Session,
    reason: str | None = None,
) -> SaveOutcome:
    """Save one answer if nobody has saved a newer version of it; commits.

    ``read_version`` is the version the person saw (0: no answer yet).  The write is a
    compare-and-set on the version, so two saves racing from two sessions cannot both win.
    """
    for attempt in range(3):
        # End any read transaction first: SQLite refuses to turn a read snapshot that another
        # writer has moved past into a write ("database is locked"); a fresh one re-reads.
        session.commit()
        try:
            return _save_once(
                case,
                question,
                raw,
                evidence,
                read_version=read_version,
                user_id=user_id,
                session=session,
                reason=reason,
            )
        except OperationalError:
            session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _save_once(
    case: AuditCase,
    question: Question,
    raw: str | list[str],
    evidence: str | None,
    *,
    read_version: int,
    user_id: int,
    session: Session,
    reason: str | None = None,
) -> SaveOutcome:
    try:
        parsed = parse_answer(question, raw)
    except AnswerError as exc:
        return SaveOutcome(question.key, read_version, error=exc.message)
    evidence = _clean_text(evidence)
    if evidence and len(evidence) > EVIDENCE_MAX:
        return SaveOutcome(
            question.key,
            read_version,
            error=f"The evidence note must be {EVIDENCE_MAX:,} characters or fewer",
        )
    new = parsed.to_json()
    now = utcnow()
    current = session.exec(
        select(Answer).where(Answer.audit_case_id == case.id, Answer.question_key == question.key)
    ).first()
    if current is None:
        if new is None and evidence is None:
            return SaveOutcome(question.key, 0)
        row = Answer(
            audit_case_id=case.id,
            question_key=question.key,
            value=new,
            evidence=evidence,
            updated_by=user_id,
            updated_at=now,
            version=1,
        )
        session.add(row)
        session.add(
            AnswerChange(
                audit_case_id=case.id,
                question_key=question.key,
                old_value=None,
                new_value=new,
                changed_by=user_id,
                changed_at=now,
                reason=reason,
            )
        )
        try:
            session.commit()
        except IntegrityError:  # someone else saved the first answer a moment ago
            session.rollback()
            current = session.exec(
                select(Answer).where(
                    Answer.audit_case_id == case.id, Answer.question_key == question.key
                )
            ).one()
            return SaveOutcome(
                question.key,
                current.version,
                conflict=_conflict(question, current, session=session),
            )
        _mark_started(case, session=session)
        return SaveOutcome(question.key, 1, saved_at=local_time(now), changed=True)
    if current.value == new and (current.evidence or None) == evidence:
        return SaveOutcome(question.key, current.version, saved_at=local_time(current.updated_at))
    if current.version != read_version:
        return SaveOutcome(
            question.key, current.version, conflict=_conflict(question, current, session=session)
        )
    old = current.value
    session.commit()  # write in a fresh transaction (see casework.save_answer)
    result = session.exec(
        update(Answer)
        .where(Answer.id == current.id, Answer.version == read_version)
        .values(
            value=new,
            evidence=evidence,
            updated_by=user_id,
            updated_at=now,
            version=read_version + 1,
        )
    )
    if result.rowcount != 1:
        session.rollback()
        session.expire_all()
        current = session.get(Answer, current.id)
        return SaveOutcome(
            question.key, current.version, conflict=_conflict(question, current, session=session)
        )
    session.add(
        AnswerChange(
            audit_case_id=case.id,
            question_key=question.key,
            old_value=old,
            new_value=new,
            changed_by=user_id,
            changed_at=now,
            reason=reason,
        )
    )
    session.commit()
    session.expire(current)
    _mark_started(case, session=session)
    return SaveOutcome(question.key, read_version + 1, saved_at=local_time(now), changed=True)


def _mark_started(case: AuditCase, *, session: Session) -> None:
    """Not started -> in progress, pinning the template version the answers were given on."""
    if case.status != "not_started":
        return
    template = template_of(case, session.get(Audit, case.audit_id))
    session.exec(
        update(AuditCase)
        .where(AuditCase.id == case.id, AuditCase.status == "not_started")
        .values(
            status="in_progress",
            started_at=utcnow(),
            template_key=template.key,
            template_version=template.version,
        )
    )
    session.commit()
    session.refresh(case)


def save_form(
    case: AuditCase, template: Template, form, *, user_id: int, session: Session
) -> dict[str, SaveOutcome]:
    """Save every question the whole form sent (the no-JavaScript path)."""
    outcomes = {}
    for question in template.questions:
        if question.key not in form and f"{question.key}__version" not in form:
            continue
        outcomes[question.key] = save_answer(
            case,
            question,
            raw_input(question, form),
            form.get(f"{question.key}__evidence"),
            read_version=_version(form.get(f"{question.key}__version")),
            user_id=user_id,
            session=session,
        )
    return outcomes


def submit_case(
    case: AuditCase, template: Template, *, read_version: int, user_id: int, session: Session
) -> list[tuple[str, str]] | str | None:
    """Submit the audit: every required answer present, nobody changed the case meanwhile.

    Returns the missing answers as (key, message) pairs, a conflict message, or None when
    submitted.  An audit graded Inadequate goes to moderation automatically.
    """
    stored = {k: row.value for k, row in answers_of(case.id, session=session).items()}
    missing = missing_required(template, stored)
    if missing:
        return [(key, missing_message(template.question(key))) for key in missing]
    overall = stored.get("overall_grade")
    status = "moderation" if overall == "inadequate" else "submitted"
    session.commit()  # write in a fresh transaction (see casework.save_answer)
    result = session.exec(
        update(AuditCase)
        .where(
            AuditCase.id == case.id,
            AuditCase.version == read_version,
            AuditCase.status.in_(EDITABLE),
        )
        .values(
            status=status, submitted_at=utcnow(), overall_grade=overall, version=read_version + 1
        )
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(case)
        return (
            "Someone else changed this audit since you opened it "
            f"(it is now {STATUS_LABELS.get(case.status, case.status).lower()}). "
            "Your answers are saved; check the page and submit again."
        )
    if (
        status == "moderation"
        and session.exec(select(Moderation).where(Moderation.audit_case_id == case.id)).first()
        is None
    ):
        session.add(Moderation(audit_case_id=case.id, selected_by=user_id, selection="inadequate"))
    session.commit()
    session.refresh(case)
    return None


def amend_answer(
    case: AuditCase,
    question: Question,
    raw,
    evidence,
    *,
    reason: str | None,
    read_version: int,
    user_id: int,
    session: Session,
) -> SaveOutcome:
    """Change a submitted answer: a reason is required and goes into the history."""
    reason = _clean_text(reason)
    if not reason:
        return SaveOutcome(question.key, read_version, error="Enter the reason for the amendment")
    if len(reason) > 2000:
        return SaveOutcome(
            question.key, read_version, error="The reason must be 2,000 characters or fewer"
        )
    if question.required:
        try:
            if not parse_answer(question, raw).answered:
                return SaveOutcome(question.key, read_version, error=missing_message(question))
        except AnswerError as exc:
            return SaveOutcome(question.key, read_version, error=exc.message)
    outcome = save_answer(
        case,
        question,
        raw,
        evidence,
        read_version=read_version,
        user_id=user_id,
        session=session,
        reason=reason,
    )
    if outcome.changed and question.key == "overall_grade":
        grade = session.exec(
            select(Answer.value).where(
                Answer.audit_case_id == case.id, Answer.question_key == "overall_grade"
            )
        ).one()
        session.exec(
            update(AuditCase)
            .where(AuditCase.id == case.id)
            .values(overall_grade=grade, version=AuditCase.version + 1)
        )
        session.commit()
        session.refresh(case)
        if grade == "inadequate":
            _moderate_inadequate(case, user_id=user_id, session=session)
    return outcome


def _moderate_inadequate(case: AuditCase, *, user_id: int, session: Session) -> None:
    """An audit amended to Inadequate after submission is moderated too, unless it already is."""
    if session.exec(select(Moderation).where(Moderation.audit_case_id == case.id)).first():
        return
    session.add(Moderation(audit_case_id=case.id, selected_by=user_id, selection="inadequate"))
    session.exec(
        update(AuditCase)
        .where(AuditCase.id == case.id, AuditCase.status == "submitted")
        .values(status="moderation", version=AuditCase.version + 1)
    )
    session.commit()
    session.refresh(case)


def update_case_fields(case: AuditCase, *, read_version: int, session: Session, **values) -> bool:
    """Write tags or the practitioner's response if the case is still at ``read_version``."""
    session.commit()  # write in a fresh transaction (see casework.save_answer)
    result = session.exec(
        update(AuditCase)
        .where(AuditCase.id == case.id, AuditCase.version == read_version)
        .values(version=read_version + 1, **values)
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(case)
        return False
    session.commit()
    session.refresh(case)
    return True


# --- the journey beside the form ----------------------------------------------------------


def journey_panel(child: Child, *, session: Session, as_of: date) -> dict:
    """The child's journey summary, timeline and findings (the journey page's own helpers)."""
    view = load_journey(child, session=session, as_of=as_of)
    summary = view.summary
    late = [t for t in view.checks if t.late]
    svg = journey_svg(view)
    rereferrals = [r for r in summary.referrals if r.rereferral]
    return {
        "summary": summary,
        "svg": Markup(svg),  # timeline_svg escapes every value it writes
        "late": late,
        "rereferrals": rereferrals,
        "anomalies": summary.anomalies,
        "checks": view.checks,
        "as_of": as_of,
    }


# --- the page -------------------------------------------------------------------------------


@dataclass
class QuestionView:
    question: Question
    value: object
    evidence: str
    version: int
    answer: Answer | None
    prefill: object = None
    error: str | None = None
    conflict: Conflict | None = None
    saved_at: datetime | None = None
    history: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def display(self) -> str:
        return display_value(self.question, self.answer.value if self.answer else None)


def page_context(
    case: AuditCase,
    user,
    *,
    session: Session,
    form=None,
    outcomes: dict[str, SaveOutcome] | None = None,
    errors=None,
    message=None,
) -> dict:
    audit = session.get(Audit, case.audit_id)
    child = session.get(Child, case.child_id)
    template = template_of(case, audit)
    journey = journey_panel(child, session=session, as_of=date.today())
    stored = answers_of(case.id, session=session)
    prefills = prefill_answers(template, journey["checks"])
    changes = session.exec(
        select(AnswerChange)
        .where(AnswerChange.audit_case_id == case.id)
        .order_by(AnswerChange.changed_at, AnswerChange.id)
    ).all()
    names = {}
    for change in changes:
        if change.changed_by not in names:
            names[change.changed_by] = user_name(change.changed_by, session=session)
    outcomes = outcomes or {}
    sections = []
    for section in template.sections:
        views = []
        for q in section.questions:
            row = stored.get(q.key)
            outcome = outcomes.get(q.key)
            if form is not None and (q.key in form or f"{q.key}__version" in form):
                value = raw_input(q, form)
                evidence = form.get(f"{q.key}__evidence", "")
            else:
                value = form_value(q, row.value if row else None)
                evidence = (row.evidence or "") if row else ""
            prefill = prefills.get(q.key)
            if row is None and prefill is not None and not value:
                value = str(prefill.value)
            views.append(
                QuestionView(
                    question=q,
                    value=value,
                    evidence=evidence,
                    version=outcome.version if outcome else (row.version if row else 0),
                    answer=row,
                    prefill=prefill,
                    error=outcome.error if outcome else None,
                    conflict=outcome.conflict if outcome else None,
                    saved_at=outcome.saved_at if outcome else None,
                    history=[c for c in changes if c.question_key == q.key],
                )
            )
        sections.append((section, views))
    from .actions import actions_for_case
    from .escalation import escalations_for_case

    return {
        "case": case,
        "audit": audit,
        "child": child,
        "tmpl": template,
        "journey": journey,
        "sections": sections,
        "changes": changes,
        "names": names,
        "editable": case.status in EDITABLE,
        "amendable": case.status in AMENDABLE,
        "status_label": STATUS_LABELS.get(case.status, case.status),
        "status_colour": STATUS_COLOURS.get(case.status, "grey"),
        "tags": learning_tags(),
        "case_link": case_system_link(child.child_ref),
        "errors": errors or [],
        "message": message,
        "is_manager": is_manager(user),
        "moderation": session.exec(
            select(Moderation).where(Moderation.audit_case_id == case.id)
        ).first(),
        "actions": actions_for_case(case.id, session=session),
        "escalations": escalations_for_case(case.id, user, session=session),
        "auditor_name": user_name(case.auditor_id, session=session)
        if case.auditor_id
        else "nobody",
        "local_time": local_time,
        "display_value": display_value,
        "stage_labels": STAGE_LABELS,
        "escalation_form": {},
        "escalation_open": False,
        "action_form": {},
        "action_errors": {},
        "audit_list_url": audit_list_url(),
        "journey_url": url_for("cases.journey", child_ref=child.child_ref)
        if "cases.journey" in current_app.view_functions
        else None,
        "final_grade_label": grade_label(template, case.final_grade),
    }


def audit_list_url() -> str | None:
    """ "My audits", when the audit list is switched on."""
    return (
        url_for("audits.audit_list") if "audits.audit_list" in current_app.view_functions else None
    )


def grade_label(template: Template, grade: str | None) -> str | None:
    if not grade:
        return None
    for q in template.questions:
        if q.type == "grade" and grade in q.values:
            return q.option_label(grade)
    return grade


def _load(audit_case_id: int) -> AuditCase:
    case = case_for(audit_case_id, g.user, session=get_session())
    if case is None:
        abort(404)
    return case


def _page(case: AuditCase, *, status: int = 200, extra: dict | None = None, **kwargs):
    context = page_context(case, g.user, session=get_session(), **kwargs)
    context.update(extra or {})
    return render("audits/case.html", status=status, **context)


def _error_list(outcomes: dict[str, SaveOutcome]) -> list[tuple[str, str]]:
    errors = []
    for key, outcome in outcomes.items():
        if outcome.error:
            errors.append((key, outcome.error))
        elif outcome.conflict:
            c = outcome.conflict
            errors.append(
                (
                    key,
                    f"{c.by} changed this answer while you were editing: their answer is "
                    f"‘{c.display}’. Yours is below, not saved yet",
                )
            )
    return errors


@bp.route("/case/<int:audit_case_id>")
@requires("do_audits")
def case_page(audit_case_id: int):
    case = _load(audit_case_id)
    child = get_session().get(Child, case.child_id)
    log_access(child.child_ref, "view_audit_case", f"audit case {case.id}", session=get_session())
    return _page(case)


@bp.route("/case/<int:audit_case_id>", methods=["POST"])
@requires("do_audits")
def case_save(audit_case_id: int):
    """The whole form: save a draft, or save and submit."""
    case = _load(audit_case_id)
    session = get_session()
    if case.status not in EDITABLE:
        return _page(
            case, status=409, message="This audit has been submitted: amend an answer instead."
        )
    template = template_of(case, session.get(Audit, case.audit_id))
    outcomes = save_form(case, template, request.form, user_id=g.user.id, session=session)
    errors = _error_list(outcomes)
    if errors:
        return _page(case, status=400, form=request.form, outcomes=outcomes, errors=errors)
    if request.form.get("action") != "submit":
        return redirect(url_for("audits.case_page", audit_case_id=case.id, saved=1), 303)
    result = submit_case(
        case,
        template,
        read_version=_version(request.form.get("case_version")),
        user_id=g.user.id,
        session=session,
    )
    if isinstance(result, list):
        return _page(case, status=400, outcomes=outcomes, errors=result)
    if isinstance(result, str):
        return _page(case, status=409, outcomes=outcomes, errors=[("case-status", result)])
    return redirect(url_for("audits.case_page", audit_case_id=case.id, submitted=1), 303)


@bp.route("/case/<int:audit_case_id>/answer/<key>", methods=["POST"])
@requires("do_audits")
def case_answer(audit_case_id: int, key: str):
    """Autosave one answer (htmx); the partial says "Saved at 14:32", the error or the conflict."""
    case = _load(audit_case_id)
    session = get_session()
    template = template_of(case, session.get(Audit, case.audit_id))
    try:
        question = template.question(key)
    except KeyError:
        abort(404)
    if case.status not in EDITABLE:
        outcome = SaveOutcome(
            key,
            _version(request.form.get(f"{key}__version")),
            error="This audit has been submitted: amend the answer instead",
        )
    else:
        outcome = save_answer(
            case,
            question,
            raw_input(question, request.form),
            request.form.get(f"{key}__evidence"),
            read_version=_version(request.form.get(f"{key}__version")),
            user_id=g.user.id,
            session=session,
        )
    if not is_partial_request():
        if outcome.error or outcome.conflict:
            return _page(
                case,
                status=400,
                form=request.form,
                outcomes={key: outcome},
                errors=_error_list({key: outcome}),
            )
        return redirect(
            url_for("audits.case_page", audit_case_id=case.id) + f"#question-{key}", 303
        )
    return render(
        "audits/_answer_status.html",
        "audits/_answer_status.html",
        q=question,
        outcome=outcome,
        case=case,
        oob_status={"label": STATUS_LABELS[case.status], "colour": STATUS_COLOURS[case.status]}
        if outcome.changed
        else None,
        trigger="answers-saved" if outcome.changed else None,
    )


@bp.route("/case/<int:audit_case_id>/amend/<key>", methods=["GET", "POST"])
@requires("do_audits")
def case_amend(audit_case_id: int, key: str):
    case = _load(audit_case_id)
    session = get_session()
    template = template_of(case, session.get(Audit, case.audit_id))
    try:
        question = template.question(key)
    except KeyError:
        abort(404)
    if case.status not in AMENDABLE:
        return _page(
            case, status=409, message="Only a submitted audit that is not finalised can be amended."
        )
    row = answers_of(case.id, session=session).get(key)
    outcome = None
    if request.method == "POST":
        outcome = amend_answer(
            case,
            question,
            raw_input(question, request.form),
            request.form.get(f"{key}__evidence"),
            reason=request.form.get("reason"),
            read_version=_version(request.form.get(f"{key}__version")),
            user_id=g.user.id,
            session=session,
        )
        if not (outcome.error or outcome.conflict):
            return redirect(
                url_for("audits.case_page", audit_case_id=case.id, amended=key)
                + f"#question-{key}",
                303,
            )
    value = (
        raw_input(question, request.form)
        if request.method == "POST"
        else form_value(question, row.value if row else None)
    )
    evidence = (
        request.form.get(f"{key}__evidence", "")
        if request.method == "POST"
        else ((row.evidence or "") if row else "")
    )
    reason_error = (
        outcome.error if outcome and outcome.error and "reason" in outcome.error else None
    )
    view = QuestionView(
        question=question,
        value=value,
        evidence=evidence,
        version=outcome.version if outcome else (row.version if row else 0),
        answer=row,
        error=None if reason_error or not outcome else outcome.error,
        conflict=outcome.conflict if outcome else None,
    )
    return render(
        "audits/case_amend.html",
        status=400 if outcome else 200,
        case=case,
        v=view,
        reason=request.form.get("reason", ""),
        errors=_error_list({key: outcome}) if outcome else [],
        reason_error=reason_error,
        local_time=local_time,
    )


@bp.route("/case/<int:audit_case_id>/tags", methods=["POST"])
@requires("do_audits")
def case_tags(audit_case_id: int):
    case = _load(audit_case_id)
    if case.status == "finalised":
        return _page(
            case, status=409, message="This audit is finalised: its learning tags are fixed."
        )
    allowed = learning_tags()
    chosen = [t for t in allowed if t in request.form.getlist("tags")]
    return _save_case_fields(
        case,
        "tags",
        "Someone else changed this audit's tags or response since you opened it. "
        "Check them and save again",
        "#case-tags",
        tags=chosen,
    )


@bp.route("/case/<int:audit_case_id>/response", methods=["POST"])
@requires("do_audits")
def case_response(audit_case_id: int):
    """The practitioner's response to the findings: the learning loop."""
    case = _load(audit_case_id)
    text = _clean_text(request.form.get("practitioner_response"))
    if text and len(text) > RESPONSE_MAX:
        return _page(
            case,
            status=400,
            errors=[
                (
                    "practitioner_response",
                    f"The response must be {RESPONSE_MAX:,} characters or fewer",
                )
            ],
        )
    return _save_case_fields(
        case,
        "practitioner_response",
        "Someone else changed this audit since you opened it. "
        "Check the response shown and save again",
        "#case-response",
        practitioner_response=text,
    )


def _save_case_fields(case, field: str, conflict: str, anchor: str, **values):
    """Compare-and-set ``values`` on the case: back to the page, or 409 naming ``field``."""
    if not update_case_fields(
        case,
        read_version=_version(request.form.get("case_version")),
        session=get_session(),
        **values,
    ):
        return _page(case, status=409, errors=[(field, conflict)])
    return redirect(url_for("audits.case_page", audit_case_id=case.id) + anchor, 303)
