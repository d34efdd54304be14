"""The permission matrix: which role may do what.  The one place it is written down.

Every view declares the permission it needs with ``@requires``; a view without a
declaration is refused (deny by default), and a test walks the URL map to prove
each role gets exactly what this matrix says.
"""

from collections.abc import Callable
from functools import wraps

from .models import ROLES

__all__ = [
    "PERMISSIONS", "PUBLIC", "ROLE_LABELS", "requires", "public", "allowed", "permission_of",
]

ALL = frozenset(ROLES)

#: permission -> roles holding it.  Auditors' access to a child is further limited
#: to the children in audits assigned to them (see ``audit_app.access``).
PERMISSIONS: dict[str, frozenset[str]] = {
    "view_dashboard": ALL,
    "view_cases": frozenset({"admin", "qa_lead", "practice_manager", "auditor"}),
    "import_data": frozenset({"admin", "qa_lead"}),
    "manage_users": frozenset({"admin"}),
    "view_access_log": frozenset({"admin"}),
    "manage_audits": frozenset({"qa_lead", "practice_manager"}),
    "do_audits": frozenset({"auditor", "practice_manager", "qa_lead"}),
    "view_reports": frozenset({"admin", "qa_lead", "practice_manager", "viewer"}),
    "edit_sef": frozenset({"qa_lead"}),
}

#: How each role is named on screen.
ROLE_LABELS: dict[str, str] = {
    "admin": "Administrator",
    "qa_lead": "QA lead",
    "practice_manager": "Practice manager",
    "auditor": "Auditor",
    "viewer": "Viewer",
}

#: Sentinel for views anyone may reach without logging in (login page, static files).
PUBLIC = "public"

DESCRIPTIONS: dict[str, str] = {
    "view_dashboard": "See the home dashboard (aggregate counts only)",
    "view_cases": "Search children and open a child's journey (auditors: only children assigned to them)",
    "import_data": "Upload case data and read the import history",
    "manage_users": "Create, change and disable users",
    "view_access_log": "Search and export the access log",
    "manage_audits": "Create themed audits, draw samples, assign, moderate and finalise",
    "do_audits": "Complete the audits assigned to them",
    "view_reports": "See roll-ups and the SEF (pseudonymised)",
    "edit_sef": "Write the SEF narrative and export it",
}


def requires(permission: str) -> Callable:
    """Mark a view as needing ``permission`` (checked before every request)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorate


def public(view: Callable) -> Callable:
    view.permission = PUBLIC  # type: ignore[attr-defined]
    return view


def permission_of(view: Callable | None) -> str | None:
    return getattr(view, "permission", None)


def allowed(roles: frozenset[str] | set[str], permission: str) -> bool:
    return permission == PUBLIC or bool(PERMISSIONS.get(permission, frozenset()) & set(roles))
