"""Actions raised from an audit: description, owner, due date, open or done with closing evidence.

Overdue is computed from the due date, never stored.  The actions list filters by audit,
team, owner, status and overdue; auditors see only the actions on their own audit cases.
"""

from dataclasses import dataclass
from datetime import date

from flask import abort, flash, g, redirect, request, url_for
from sqlalchemy import update
from sqlmodel import Session, select

from audit_forms import AnswerError, parse_answer
from audit_forms.templates import Question

from ..db import get_session
from ..models import Audit, AuditAction, AuditCase, utcnow
from ..permissions import requires
from ..rendering import render
from . import bp
from .casework import _load, _page, is_manager, local_time
from .escalation import child_team

__all__ = [
    "ActionFilters",
    "actions_for_case",
    "create_action",
    "is_overdue",
    "list_actions",
    "update_action",
]

STATUSES = {"open": "Open", "done": "Done"}
_DUE = Question("action_due_date", "date", "Due date", name="the due date", required=True)


def is_overdue(action: AuditAction, today: date) -> bool:
    """Open and past its due date."""
    return action.status == "open" and action.due_date is not None and action.due_date < today


def actions_for_case(audit_case_id: int, *, session: Session) -> list[AuditAction]:
    return list(
        session.exec(
            select(AuditAction)
            .where(AuditAction.audit_case_id == audit_case_id)
            .order_by(AuditAction.id)
        ).all()
    )


def _text(form, name: str) -> str:
    return (form.get(name) or "").replace("\r\n", "\n").strip()


def create_action(
    case: AuditCase, form, *, user_id: int, session: Session
) -> tuple[AuditAction | None, dict]:
    """Validate and add an action for ``case``; returns (action, {}) or (None, errors by field)."""
    errors: dict[str, str] = {}
    description = _text(form, "action_description")
    owner = _text(form, "action_owner")
    if not description:
        errors["action_description"] = "Enter what needs to be done"
    elif len(description) > 2000:
        errors["action_description"] = "The description must be 2,000 characters or fewer"
    if not owner:
        errors["action_owner"] = "Enter who owns the action"
    elif len(owner) > 200:
        errors["action_owner"] = "The owner must be 200 characters or fewer"
    due = None
    try:
        due = parse_answer(_DUE, _text(form, "action_due_date")).value
        if due is None:
            errors["action_due_date"] = "Enter the due date"
    except AnswerError as exc:
        errors["action_due_date"] = exc.message
    if errors:
        return None, errors
    action = AuditAction(
        audit_case_id=case.id,
        description=description,
        owner=owner,
        team=child_team(case.child_id, session=session),
        due_date=due,
        created_by=user_id,
    )
    session.add(action)
    session.commit()
    session.refresh(action)
    return action, {}


def update_action(action: AuditAction, form, *, read_version: int, session: Session) -> dict:
    """Set the status (done needs closing evidence); refuses a stale version.  Errors by field."""
    status = form.get("action_status", "")
    evidence = _text(form, "closing_evidence")
    if status not in STATUSES:
        return {"action_status": "Select whether the action is open or done"}
    if status == "done" and not evidence:
        return {"closing_evidence": "Enter the evidence that the action is done"}
    if len(evidence) > 5000:
        return {"closing_evidence": "The closing evidence must be 5,000 characters or fewer"}
    session.commit()  # write in a fresh transaction (see casework.save_answer)
    result = session.exec(
        update(AuditAction)
        .where(AuditAction.id == action.id, AuditAction.version == read_version)
        .values(
            status=status,
            closing_evidence=evidence or None,
            closed_at=utcnow() if status == "done" else None,
            version=read_version + 1,
        )
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(action)
        return {
            "action_status": "Someone else updated this action since you opened it: "
            "check it and save again"
        }
    session.commit()
    session.refresh(action)
    return {}


@dataclass(frozen=True)
class ActionFilters:
    audit: int | None = None
    team: str = ""
    owner: str = ""
    status: str = ""
    overdue: bool = False

    @classmethod
    def from_args(cls, args) -> "ActionFilters":
        try:
            audit = int(args.get("audit", "")) if args.get("audit") else None
        except ValueError:
            audit = None
        status = args.get("status", "")
        return cls(
            audit=audit,
            team=args.get("team", "").strip(),
            owner=args.get("owner", "").strip(),
            status=status if status in STATUSES else "",
            overdue=args.get("overdue") == "1",
        )


@dataclass(frozen=True)
class ActionRow:
    action: AuditAction
    audit: Audit
    case: AuditCase
    overdue: bool


def list_actions(filters: ActionFilters, user, *, session: Session, today: date) -> list[ActionRow]:
    """Actions matching ``filters``: all for managers, only their own cases' for auditors."""
    statement = (
        select(AuditAction, Audit, AuditCase)
        .join(AuditCase, AuditCase.id == AuditAction.audit_case_id)
        .join(Audit, Audit.id == AuditCase.audit_id)
    )
    if not is_manager(user):
        statement = statement.where(AuditCase.auditor_id == user.id)
    if filters.audit is not None:
        statement = statement.where(Audit.id == filters.audit)
    if filters.team:
        statement = statement.where(AuditAction.team == filters.team)
    if filters.owner:
        statement = statement.where(AuditAction.owner == filters.owner)
    if filters.status:
        statement = statement.where(AuditAction.status == filters.status)
    if filters.overdue:
        statement = statement.where(AuditAction.status == "open", AuditAction.due_date < today)
    rows = session.exec(statement.order_by(AuditAction.due_date, AuditAction.id)).all()
    return [ActionRow(a, audit, case, is_overdue(a, today)) for a, audit, case in rows]


def filter_choices(user, *, session: Session) -> dict:
    rows = list_actions(ActionFilters(), user, session=session, today=date.today())
    return {
        "audits": sorted({(r.audit.id, r.audit.title) for r in rows}, key=lambda a: a[1]),
        "teams": sorted({r.action.team for r in rows if r.action.team}),
        "owners": sorted({r.action.owner for r in rows}),
    }


@bp.route("/case/<int:audit_case_id>/actions", methods=["POST"])
@requires("do_audits")
def action_create(audit_case_id: int):
    case = _load(audit_case_id)
    action, errors = create_action(case, request.form, user_id=g.user.id, session=get_session())
    if errors:
        return _page(
            case,
            status=400,
            errors=list(errors.items()),
            extra={"action_form": request.form, "action_errors": errors},
        )
    flash("Action added.", "success")
    return redirect(url_for("audits.case_page", audit_case_id=case.id) + "#case-actions", 303)


@bp.route("/actions")
@requires("do_audits")
def action_list():
    session = get_session()
    filters = ActionFilters.from_args(request.args)
    today = date.today()
    rows = list_actions(filters, g.user, session=session, today=today)
    return render(
        "audits/actions.html",
        "audits/_action_rows.html",
        rows=rows,
        filters=filters,
        choices=filter_choices(g.user, session=session),
        statuses=STATUSES,
        today=today,
    )


def _action_or_404(action_id: int) -> tuple[AuditAction, AuditCase]:
    session = get_session()
    action = session.get(AuditAction, action_id)
    if action is None:
        abort(404)
    case = session.get(AuditCase, action.audit_case_id)
    if not (is_manager(g.user) or case.auditor_id == g.user.id):
        abort(404)
    return action, case


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@requires("do_audits")
def action_view(action_id: int):
    action, case = _action_or_404(action_id)
    session = get_session()
    errors: dict = {}
    if request.method == "POST":
        try:
            read_version = int(request.form.get("action_version", ""))
        except ValueError:
            read_version = -1
        errors = update_action(action, request.form, read_version=read_version, session=session)
        if not errors:
            flash("Action updated.", "success")
            return redirect(url_for("audits.action_view", action_id=action.id), 303)
    audit = session.get(Audit, case.audit_id)
    return render(
        "audits/action.html",
        status=400 if errors else 200,
        action=action,
        case=case,
        audit=audit,
        errors=errors,
        form=request.form if errors else {},
        statuses=STATUSES,
        overdue=is_overdue(action, date.today()),
        local_time=local_time,
    )
