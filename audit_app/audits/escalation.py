"""Safeguarding escalation: "I have an immediate concern about this child's safety".

An escalation alerts every practice manager and QA lead on their home dashboard until one
of them acknowledges it (who, when, what was done), and, when SMTP is configured, e-mails
the practice managers and the child's team manager at once.  The e-mail names no child:
it carries a link, behind the login.  Auditors see only the escalations they raised.
"""

from flask import abort, current_app, flash, g, redirect, request, url_for
from sqlalchemy import update
from sqlmodel import Session, select

from ..access import log_access
from ..db import get_session
from ..mail import mail_configured, send_mail
from ..models import AuditCase, Child, Escalation, Event, JourneySummary, User, UserRole, utcnow
from ..permissions import requires
from ..rendering import render
from . import bp
from .casework import _load, _page, is_manager, local_time, user_name

__all__ = [
    "acknowledge",
    "escalations_for_case",
    "open_escalations",
    "raise_escalation",
    "recipients",
    "visible_escalation",
]

NOTE_MAX = 5000


def child_team(child_id: int, *, session: Session) -> str | None:
    """The child's current team: from the journey summary, else the latest event naming one."""
    summary = session.get(JourneySummary, child_id)
    if summary and summary.team:
        return summary.team
    return session.exec(
        select(Event.team)
        .where(Event.child_id == child_id, Event.team.is_not(None))
        .order_by(Event.start_date.desc(), Event.id.desc())
    ).first()


def recipients(case: AuditCase, *, session: Session) -> list[str]:
    """E-mail addresses of the practice managers and the child's team manager(s).

    A team manager is an active user whose team is the child's team and who holds the
    auditor or practice manager role (team managers audit; they are not a role of their own).
    """

    def with_role(roles: tuple[str, ...]):
        return (
            select(User.email)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.active, User.email.is_not(None), UserRole.role.in_(roles))
        )

    addresses = set(session.exec(with_role(("practice_manager",))).all())
    team = child_team(case.child_id, session=session)
    if team:
        addresses |= set(
            session.exec(
                with_role(("auditor", "practice_manager")).where(User.team_name == team)
            ).all()
        )
    return sorted(a for a in addresses if a)


def raise_escalation(case: AuditCase, note: str, *, user_id: int, session: Session) -> Escalation:
    """Record the escalation; commits.  E-mailing is :func:`notify`'s business."""
    escalation = Escalation(audit_case_id=case.id, raised_by=user_id, note=note)
    session.add(escalation)
    session.commit()
    session.refresh(escalation)
    return escalation


def notify(escalation: Escalation, case: AuditCase, *, link: str, session: Session) -> bool:
    """E-mail the practice managers and the team manager, when SMTP is configured."""
    config = current_app.config
    if not mail_configured(config):
        return False
    raised = local_time(escalation.raised_at)
    body = (
        "An auditor has raised an immediate concern about a child's safety during "
        "a case-file audit.\n\n"
        f"Raised by: {user_name(escalation.raised_by, session=session)}\n"
        f"When: {raised:%d/%m/%Y at %H:%M}\n\n"
        f"Read it and record the action taken (sign-in needed):\n{link}\n\n"
        "This message deliberately carries no details of the child.\n"
    )
    sent = send_mail(
        config,
        recipients(case, session=session),
        "Front Door Audit: immediate safeguarding concern raised",
        body,
    )
    if sent:
        session.exec(update(Escalation).where(Escalation.id == escalation.id).values(emailed=True))
        session.commit()
        session.refresh(escalation)
    return sent


def open_escalations(user, *, session: Session) -> list[Escalation]:
    """Unacknowledged escalations for a practice manager's or QA lead's dashboard, else none."""
    if user is None or not is_manager(user):
        return []
    return list(
        session.exec(
            select(Escalation)
            .where(Escalation.acknowledged_at.is_(None))
            .order_by(Escalation.raised_at)
        ).all()
    )


def escalations_for_case(audit_case_id: int, user, *, session: Session) -> list[Escalation]:
    statement = select(Escalation).where(Escalation.audit_case_id == audit_case_id)
    if not is_manager(user):
        statement = statement.where(Escalation.raised_by == user.id)
    return list(session.exec(statement.order_by(Escalation.raised_at.desc())).all())


def visible_escalation(escalation_id: int, user, *, session: Session) -> Escalation | None:
    """The escalation if ``user`` is a manager, or raised it; None otherwise."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        return None
    if is_manager(user) or escalation.raised_by == user.id:
        return escalation
    return None


def acknowledge(
    escalation: Escalation, action_taken: str, *, user_id: int, session: Session
) -> bool:
    """Record who acknowledged it, when and the action taken; False if someone already had."""
    session.commit()  # write in a fresh transaction (see casework.save_answer)
    result = session.exec(
        update(Escalation)
        .where(Escalation.id == escalation.id, Escalation.acknowledged_at.is_(None))
        .values(acknowledged_by=user_id, acknowledged_at=utcnow(), action_taken=action_taken)
    )
    session.commit()
    session.refresh(escalation)
    return result.rowcount == 1


@bp.app_context_processor
def _alerts():
    def open_escalation_alerts():
        return [
            {"id": e.id, "raised": local_time(e.raised_at)}
            for e in open_escalations(g.get("user"), session=get_session())
        ]

    return {"open_escalation_alerts": open_escalation_alerts}


def _text(name: str) -> str:
    return (request.form.get(name) or "").replace("\r\n", "\n").strip()


@bp.route("/case/<int:audit_case_id>/escalate", methods=["POST"])
@requires("do_audits")
def case_escalate(audit_case_id: int):
    case = _load(audit_case_id)
    note = _text("escalation_note")
    errors = []
    if request.form.get("escalation_concern") != "yes":
        errors.append(
            (
                "escalation_concern",
                "Confirm that you have an immediate concern about this child's safety",
            )
        )
    if not note:
        errors.append(
            ("escalation_note", "Enter what the concern is and what you have seen in the record")
        )
    elif len(note) > NOTE_MAX:
        errors.append(("escalation_note", f"The note must be {NOTE_MAX:,} characters or fewer"))
    if errors:
        return _page(
            case,
            status=400,
            errors=errors,
            extra={"escalation_form": request.form, "escalation_open": True},
        )
    session = get_session()
    escalation = raise_escalation(case, note, user_id=g.user.id, session=session)
    link = url_for("audits.escalation_view", escalation_id=escalation.id, _external=True)
    sent = notify(escalation, case, link=link, session=session)
    flash(
        "Concern escalated: practice managers and QA leads see it on their home page "
        "until one of them "
        "acknowledges it" + (", and they have been e-mailed." if sent else "."),
        "success",
    )
    return redirect(url_for("audits.case_page", audit_case_id=case.id), 303)


@bp.route("/escalations")
@requires("do_audits")
def escalation_list():
    session = get_session()
    statement = select(Escalation)
    if not is_manager(g.user):
        statement = statement.where(Escalation.raised_by == g.user.id)
    rows = session.exec(
        statement.order_by(Escalation.acknowledged_at.is_not(None), Escalation.raised_at.desc())
    ).all()
    return render(
        "audits/escalations.html",
        escalations=rows,
        local_time=local_time,
        names={e.raised_by: user_name(e.raised_by, session=session) for e in rows},
    )


def _escalation_or_404(escalation_id: int) -> Escalation:
    escalation = visible_escalation(escalation_id, g.user, session=get_session())
    if escalation is None:
        abort(404)
    return escalation


def _escalation_page(escalation: Escalation, *, status: int = 200, errors=None, form=None):
    session = get_session()
    case = session.get(AuditCase, escalation.audit_case_id)
    child = session.get(Child, case.child_id)
    return render(
        "audits/escalation.html",
        status=status,
        escalation=escalation,
        case=case,
        child=child,
        raised_by=user_name(escalation.raised_by, session=session),
        acknowledged_by=user_name(escalation.acknowledged_by, session=session),
        local_time=local_time,
        can_acknowledge=is_manager(g.user),
        errors=errors or [],
        form=form or {},
    )


@bp.route("/escalations/<int:escalation_id>")
@requires("do_audits")
def escalation_view(escalation_id: int):
    escalation = _escalation_or_404(escalation_id)
    session = get_session()
    case = session.get(AuditCase, escalation.audit_case_id)
    child = session.get(Child, case.child_id)
    log_access(child.child_ref, "view_escalation", f"escalation {escalation.id}", session=session)
    return _escalation_page(escalation)


@bp.route("/escalations/<int:escalation_id>/acknowledge", methods=["POST"])
@requires("manage_audits")
def escalation_ack(escalation_id: int):
    escalation = _escalation_or_404(escalation_id)
    action = _text("action_taken")
    if not action:
        return _escalation_page(
            escalation,
            status=400,
            form=request.form,
            errors=[("action_taken", "Enter the action taken")],
        )
    if len(action) > NOTE_MAX:
        return _escalation_page(
            escalation,
            status=400,
            form=request.form,
            errors=[("action_taken", f"The action taken must be {NOTE_MAX:,} characters or fewer")],
        )
    if not acknowledge(escalation, action, user_id=g.user.id, session=get_session()):
        return _escalation_page(
            escalation,
            status=409,
            errors=[
                (
                    "action_taken",
                    f"{user_name(escalation.acknowledged_by, session=get_session())} acknowledged "
                    "this escalation first; their action is shown below",
                )
            ],
        )
    flash("Escalation acknowledged. The alert has gone from the dashboards.", "success")
    return redirect(url_for("audits.escalation_view", escalation_id=escalation.id), 303)
