"""Login, logout and logout everywhere."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .access import client_address
from .db import get_session
from .permissions import public, requires
from .users import (
    authenticate,
    end_all_sessions,
    end_session,
    record_failure,
    start_session,
    throttled,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")

__all__ = ["bp", "safe_next"]


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the dashboard."""
    if not target:
        return url_for("home.dashboard")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return url_for("home.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        expired = request.args.get("expired") or g.get("session_expired")
        return render_template(
            "auth/login.html", next=request.args.get("next", ""), expired=expired
        )
    username = request.form.get("username", "").strip()[:100]
    password = request.form.get("password", "")[:1000]
    db, address, cfg = get_session(), client_address(), current_app.config
    errors = {}
    if throttled(
        username,
        address,
        failures=cfg["LOGIN_THROTTLE_FAILURES"],
        minutes=cfg["LOGIN_THROTTLE_MINUTES"],
        session=db,
    ):
        errors["username"] = (
            f"Too many failed attempts. Try again in {cfg['LOGIN_THROTTLE_MINUTES']} minutes."
        )
    elif not username or not password:
        errors["username"] = "Enter your username and password"
    else:
        user = authenticate(username, password, session=db)
        if user is None:
            record_failure(username, address, session=db)
            errors["username"] = "The username or password is not right"
        else:
            old = session.get("token")
            if old:  # a second login in the same browser ends the first session
                end_session(old, session=db)
            session.clear()  # rotate: nothing from before login survives
            session["token"] = start_session(user, address, session=db)
            session.permanent = False
            return redirect(safe_next(request.form.get("next")), code=303)
    return render_template(
        "auth/login.html", next=request.form.get("next", ""), errors=errors, username=username
    ), 400


@bp.route("/logout", methods=["POST"])
@public
def logout():
    token = session.get("token")
    if token:
        end_session(token, session=get_session())
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/logout-everywhere", methods=["POST"])
@requires("view_dashboard")
def logout_everywhere():
    end_all_sessions(g.user.id, session=get_session())
    session.clear()
    flash("You have been signed out on every device", "success")
    return redirect(url_for("auth.login"), code=303)
