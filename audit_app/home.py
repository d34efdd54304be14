"""The home dashboard: what the database holds, the last import, where to go next."""

from flask import Blueprint
from sqlalchemy import func
from sqlmodel import Session, select

from journeys import EVENT_KINDS, KIND_LABELS

from .db import get_session
from .models import Child, Event, ImportBatch
from .permissions import requires
from .rendering import render

bp = Blueprint("home", __name__, url_prefix="/")

__all__ = ["bp", "dashboard_counts"]

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


@bp.route("/")
@requires("view_dashboard")
def dashboard():
    return render("home/dashboard.html", counts=dashboard_counts(session=get_session()))
