"""Administration: users and roles, team localities, and the access log (read-only)."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from sqlalchemy import func, update
from sqlmodel import Session, select

from .access import log_access
from .db import get_session
from .models import ROLES, AccessLog, Team, User, UserCreate, UserRole, UserSession
from .permissions import requires
from .rendering import render
from .users import UserError, create_user, end_all_sessions

bp = Blueprint("admin", __name__, url_prefix="/admin")

__all__ = ["bp", "search_access_log", "FORMULA_PREFIXES", "safe_cell"]

PAGE_SIZE = 50
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value that a spreadsheet will not run as a formula when it opens the export."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _users(session: Session) -> list[tuple[User, list[str]]]:
    roles: dict[int, list[str]] = {}
    for user_id, role in session.exec(select(UserRole.user_id, UserRole.role)):
        roles.setdefault(user_id, []).append(role)
    users = session.exec(select(User).order_by(User.username)).all()
    return [(u, sorted(roles.get(u.id, []))) for u in users]


@bp.route("/users", methods=["GET"])
@requires("manage_users")
def users():
    return render("admin/users.html", users=_users(get_session()), roles=ROLES, errors={}, form={}, form_roles=[])


@bp.route("/users", methods=["POST"])
@requires("manage_users")
def create():
    form = request.form
    session = get_session()
    try:
        data = UserCreate(
            username=form.get("username", "").strip(),
            password=form.get("password", ""),
            roles=form.getlist("roles"),
            display_name=form.get("display_name") or None,
            worker_name=form.get("worker_name") or None,
            team_name=form.get("team_name") or None,
        )
        create_user(data, session=session)
    except (UserError, ValueError) as error:
        session.rollback()
        message = str(error).splitlines()[0] if isinstance(error, UserError) else _pydantic_message(error)
        return render("admin/users.html", users=_users(session), roles=ROLES, errors={"username": message},
                      form=form, form_roles=form.getlist("roles"), status=400)
    flash(f"User {data.username} created", "success")
    return redirect(url_for("admin.users"), code=303)


def _pydantic_message(error: ValueError) -> str:
    errors = getattr(error, "errors", lambda: [])()
    if errors:
        field = errors[0]["loc"][0] if errors[0].get("loc") else "value"
        return f"{str(field).capitalize()}: {errors[0]['msg']}"
    return str(error)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("manage_users")
def set_active(user_id: int):
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    if user.id == g.user.id:
        flash("You cannot disable your own account", "warning")
        return redirect(url_for("admin.users"), code=303)
    user.active = request.form.get("active") == "1"
    session.add(user)
    session.exec(update(UserSession).where(UserSession.user_id == user.id).values(revoked=True))
    session.commit()
    flash(f"{user.username} {'enabled' if user.active else 'disabled and signed out everywhere'}", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/users/<int:user_id>/sessions", methods=["POST"])
@requires("manage_users")
def end_sessions(user_id: int):
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    end_all_sessions(user.id, session=session)
    flash(f"{user.username} has been signed out everywhere", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/teams", methods=["GET", "POST"])
@requires("manage_users")
def teams():
    session = get_session()
    if request.method == "POST":
        for team in session.exec(select(Team)).all():
            value = request.form.get(f"locality-{team.id}")
            if value is not None:
                team.locality = value.strip()[:200] or None
                session.add(team)
        session.commit()
        flash("Localities saved", "success")
        return redirect(url_for("admin.teams"), code=303)
    return render("admin/teams.html", teams=session.exec(select(Team).order_by(Team.name)).all())


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def search_access_log(filters: dict, *, session: Session, page: int = 1, limit: int | None = PAGE_SIZE):
    """Access-log rows matching ``filters`` (username, child, action, from, to), newest first."""
    query = select(AccessLog)
    if filters.get("username"):
        query = query.where(AccessLog.username == filters["username"])
    if filters.get("child"):
        query = query.where(AccessLog.child_ref == filters["child"])
    if filters.get("action"):
        query = query.where(AccessLog.action == filters["action"])
    start, end = _parse_day(filters.get("from")), _parse_day(filters.get("to"))
    if start:
        query = query.where(AccessLog.at >= datetime.combine(start, time.min, UTC))
    if end:
        query = query.where(AccessLog.at < datetime.combine(end + timedelta(days=1), time.min, UTC))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(AccessLog.id.desc())
    if limit:
        query = query.offset((page - 1) * limit).limit(limit)
    return session.exec(query).all(), total


FILTER_KEYS = ("username", "child", "action", "from", "to")


@bp.route("/access-log")
@requires("view_access_log")
def access_log():
    filters = {k: request.args.get(k, "").strip()[:100] for k in FILTER_KEYS}
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = search_access_log(filters, session=get_session(), page=page)
    return render("admin/access_log.html", "admin/_access_rows.html", rows=rows, total=total, page=page,
                  pages=max(1, -(-total // PAGE_SIZE)), filters=filters)


@bp.route("/access-log.csv")
@requires("view_access_log")
def access_log_csv():
    filters = {k: request.args.get(k, "").strip()[:100] for k in FILTER_KEYS}
    session = get_session()
    rows, total = search_access_log(filters, session=session, limit=None)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["when (UTC)", "user", "child", "action", "detail", "address"])
    for row in rows:
        writer.writerow([safe_cell(v) for v in (row.at.isoformat(), row.username, row.child_ref, row.action,
                                                row.detail, row.address)])
    log_access(None, "export access log", f"{total} rows", session=session)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=access-log.csv"})
