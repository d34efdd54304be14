"""The home dashboard: what the database holds, the last import, where to go next."""

from datetime import UTC, datetime

from flask import Blueprint, g
from sqlalchemy import func
from sqlmodel import Session, select

from journeys import EVENT_KINDS, KIND_LABELS

from .audits.setup import DONE
from .db import get_session
from .models import AuditCase, Child, Event, ImportBatch
from .permissions import allowed, requires
from .rendering import render

bp = Blueprint("home", __name__, url_prefix="/")

__all__ = ["bp", "dashboard_counts", "my_work"]

#: How the dashboard names many of each kind (plain English, not "enquirys").
PLURALS = {
    "s47": "Strategy discussions / section 47 enquiries",
    "cin_episode": "Episodes of need",
}


def dashboard_counts(*, session: Session) -> dict:
    """Counts of children and of events by kind, and the last committed import."""
    by_kind = dict(session.exec(select(Event.kind, func.count()).group_by(Event.kind)).all())
    last_import = session.exec(
        select(ImportBatch).where(ImportBatch.status == "committed").order_by(ImportBatch.id.desc())
    ).first()
    return {
        "children": session.exec(select(func.count()).select_from(Child)).one(),
        "events": [(PLURALS.get(k, KIND_LABELS[k] + "s"), by_kind.get(k, 0)) for k in EVENT_KINDS],
        "total_events": sum(by_kind.values()),
        "last_import": last_import,
    }


def my_work(user_id: int, *, session: Session) -> dict:
    """How many audit cases the user holds that are still to do, and how many are overdue."""
    open_cases = (
        select(func.count())
        .select_from(AuditCase)
        .where(
            AuditCase.auditor_id == user_id,
            AuditCase.replaced.is_(False),
            AuditCase.reserve.is_(False),
            AuditCase.status.not_in(DONE),
        )
    )
    today = datetime.now(UTC).date()
    return {
        "to_do": session.exec(open_cases).one(),
        "overdue": session.exec(open_cases.where(AuditCase.due_date < today)).one(),
    }


@bp.route("/")
@requires("view_dashboard")
def dashboard():
    session = get_session()
    work = my_work(g.user.id, session=session) if allowed(g.user.roles, "do_audits") else None
    return render("home/dashboard.html", counts=dashboard_counts(session=session), work=work)
