"""The guarded web layer: who is asking, may they, and the headers every response carries."""

import logging
import os
import secrets
from datetime import timedelta

from flask import Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .db import get_session, write_intent
from .permissions import PUBLIC, allowed, permission_of
from .users import resume_session

__all__ = ["install"]

log = logging.getLogger(__name__)

NAV = (
    ("home.dashboard", "Home", "view_dashboard"),
    ("cases.case_list", "Children", "view_cases"),
    ("audits.audit_list", "Audits", "do_audits"),
    ("reports.sef", "Self-evaluation", "view_reports"),
    ("reports.indicators_page", "Evidence base", "view_reports"),
    ("imports.upload", "Import data", "import_data"),
    ("admin.users", "Admin", "manage_users"),
)


def _load_user() -> None:
    g.user = None
    token = session.get("token")
    if token:
        g.user = resume_session(
            token,
            idle=timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"]),
            absolute=timedelta(hours=current_app.config["ABSOLUTE_TIMEOUT_HOURS"]),
            session=get_session(),
        )
        if g.user is None:
            session.clear()
            g.session_expired = True


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _guard():
    g.csp_nonce = secrets.token_urlsafe(16)
    write_intent.set(request.method not in SAFE_METHODS)
    if request.endpoint is None:
        return None  # 404 or 405 follows
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    permission = permission_of(view)
    if permission == PUBLIC:
        _load_user()
        return None
    _load_user()
    if g.user is None:
        nxt = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=nxt.rstrip("?") if nxt else None))
    if permission is None or not allowed(g.user.roles, permission):
        return render_template("errors/403.html"), 403
    return None


def _headers(response):
    nonce = g.get("csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; "
        "frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if g.get("user") is not None and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _nav_items():
    user = g.get("user")
    if user is None:
        return []
    items = []
    for endpoint, text, permission in NAV:
        if endpoint not in current_app.view_functions or not allowed(user.roles, permission):
            continue
        href = url_for(endpoint)
        items.append(
            {
                "text": text,
                "href": href,
                "active": request.path.startswith(href) and (href != "/" or request.path == "/"),
            }
        )
    return items


def _context():
    return {
        "current_user": g.get("user"),
        "csp_nonce": lambda: g.get("csp_nonce", ""),
        "nav_items": _nav_items(),
    }


def _error_page(status: int, template: str):
    def handler(error):
        if isinstance(error, HTTPException) and status >= 500:
            log.error("HTTP %s on %s", status, request.endpoint)
        return render_template(template), status

    return handler


def _unexpected(error):
    if isinstance(error, HTTPException):
        return error
    if isinstance(error, OperationalError) and "locked" in str(error.orig):
        # SQLite's write lock was not free within the busy timeout: overload, not a bug.
        log.warning("Database busy on %s", request.endpoint)
        return render_template("errors/500.html"), 503, {"Retry-After": "5"}
    # Log the type and the endpoint only: never request data (it may identify a child).
    log.error(
        "Unhandled %s on %s", type(error).__name__, request.endpoint, exc_info=current_app.debug
    )
    return render_template("errors/500.html"), 500


def _csrf_error(error: CSRFError):
    return render_template("errors/400.html", reason=error.description), 400


def trusted_proxies(app: Flask) -> int:
    """How many reverse proxies stand in front of the app (``FRONTDOOR_TRUSTED_PROXIES``)."""
    value = app.config.get("TRUSTED_PROXIES", os.environ.get("FRONTDOOR_TRUSTED_PROXIES", "0"))
    return max(0, int(value or 0))


def install(app: Flask) -> None:
    proxies = trusted_proxies(app)
    if proxies:
        # Behind nginx every request comes from 127.0.0.1: without this the login throttle
        # would count everyone as one address, and HSTS would never be sent.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.before_request(_guard)
    app.teardown_request(lambda _exc: write_intent.set(False))
    app.after_request(_headers)
    app.context_processor(_context)
    for status in (400, 403, 404, 405, 413):
        template = f"errors/{status}.html" if status != 405 else "errors/404.html"
        app.register_error_handler(status, _error_page(status, template))
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Exception, _unexpected)
