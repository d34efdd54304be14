"""The access log: every view or export of a child's record, append-only."""

from flask import g, request
from sqlmodel import Session

from .models import AccessLog

__all__ = ["log_access", "client_address", "record_event"]


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def log_access(
    child_ref: str | None, action: str, detail: str | None = None, *, session: Session
) -> None:
    """Record that the current user did ``action`` to ``child_ref``; commits at once."""
    user = g.get("user")
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
