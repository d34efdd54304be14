"""The access log: every view or export of a child's record, append-only."""

from flask import g, request
from sqlalchemy import exists, select
from sqlmodel import Session

from .models import AccessLog, AuditCase

__all__ = [
    "log_access",
    "client_address",
    "record_event",
    "can_view_child",
    "SEE_ALL_CHILDREN",
    "assigned_children",
]

#: Roles that may open any child's record; auditors see only the children assigned to them.
SEE_ALL_CHILDREN = frozenset({"admin", "qa_lead", "practice_manager"})


def can_view_child(user, child_id: int | None, *, session: Session) -> bool:
    """Whether ``user`` (``.id``, ``.roles``) may see the child whose database id is ``child_id``.

    Admins, QA leads and practice managers may; an auditor only when an audit case
    for that child is assigned to them; anyone else (viewers) may not.
    """
    if user is None or child_id is None:
        return False
    roles = set(user.roles)
    if roles & SEE_ALL_CHILDREN:
        return True
    if "auditor" not in roles:
        return False
    query = select(exists().where(AuditCase.child_id == child_id, AuditCase.auditor_id == user.id))
    return bool(session.execute(query).scalar())


def assigned_children(user):
    """A subquery of the child ids ``user`` may see, or None when they may see every child."""
    if set(user.roles) & SEE_ALL_CHILDREN:
        return None
    if "auditor" not in set(user.roles):
        return select(AuditCase.child_id).where(AuditCase.child_id.is_(None))
    return select(AuditCase.child_id).where(AuditCase.auditor_id == user.id)


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def log_access(
    child_ref: str | None, action: str, detail: str | None = None, *, session: Session
) -> None:
    """Record that the current user did ``action`` to ``child_ref``; commits at once."""
    user = g.get("user")
    # End the page's read transaction first, so the insert opens its own and waits for
    # SQLite's write lock instead of failing when another request wrote meanwhile.
    session.commit()
    session.add(
        AccessLog(
            user_id=user.id if user else None,
            username=user.username if user else "anonymous",
            child_ref=child_ref,
            action=action,
            detail=detail,
            address=client_address(),
        )
    )
    session.commit()


def record_event(action: str, detail: str) -> None:
    """Record a maintenance action (purge, restore) in the access log, outside a request."""
    from .db import session_scope

    with session_scope() as session:
        session.add(AccessLog(username="system", action=action, detail=detail[:500]))
        session.commit()
