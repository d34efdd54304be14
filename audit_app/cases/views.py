"""The case list and a child's journey page."""

from datetime import date

from flask import abort, g, request
from markupsafe import Markup

from journeys import KIND_LABELS, STAGE_LABELS

from ..access import assigned_children, can_view_child, log_access
from ..db import get_session
from ..permissions import requires
from ..rendering import is_partial_request, render
from . import bp
from .journey import (
    anchor,
    check_rows,
    event_rows,
    find_child,
    fmt_day,
    journey_svg,
    load_journey,
)
from .labels import anomaly_label, category_label, source_label
from .search import FILTER_LABELS, filter_choices, parse_day, parse_filters, search_cases

__all__ = ["case_list", "journey"]


@bp.context_processor
def _helpers():
    """Labels and formatters the cases templates share."""
    return {
        "stage_labels": STAGE_LABELS,
        "kind_labels": KIND_LABELS,
        "fmt_day": fmt_day,
        "anchor": anchor,
        "anomaly_label": anomaly_label,
        "source_label": source_label,
        "category_label": category_label,
    }


@bp.get("/")
@requires("view_cases")
def case_list():
    session = get_session()
    choices = filter_choices(session)
    filters = parse_filters(request.args, session=session, choices=choices)
    result = search_cases(filters, session=session, user=g.user)
    log_access(
        None,
        "search children",
        f"{filters.describe()}; {result.total} found"[:500],
        session=session,
    )
    # htmx swaps only successful responses: a partial with an error summary is still a 200.
    status = 400 if filters.errors and not is_partial_request() else 200
    return render(
        "cases/list.html",
        "cases/_case_rows.html",
        status=status,
        filters=filters,
        result=result,
        choices=choices,
        labels=FILTER_LABELS,
        assigned_only=assigned_children(g.user) is not None,
    )


@bp.get("/<child_ref>")
@requires("view_cases")
def journey(child_ref: str):
    session = get_session()
    child = find_child(child_ref, session=session)
    if child is None or not can_view_child(g.user, child.id, session=session):
        abort(404)
    error, as_of = None, None
    try:
        as_of = parse_day(request.args.get("as_of"))
    except ValueError:
        error = f"As at date '{request.args.get('as_of', '')[:20]}' is not a date like 2025-03-31"
    view = load_journey(child, session=session, as_of=as_of or date.today())
    log_access(child.child_ref, "view journey", f"as at {view.as_of.isoformat()}", session=session)
    return render(
        "cases/journey.html",
        "cases/_journey.html",
        status=400 if error and not is_partial_request() else 200,
        view=view,
        error=error,
        svg=Markup(journey_svg(view)),
        rows=event_rows(view),
        checks=check_rows(view),
        as_of_text=request.args.get("as_of", "")[:20],
    )
