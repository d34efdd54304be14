"""Users, roles and server-side login sessions: the data functions behind ``auth``."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from .models import ROLES, LoginAttempt, User, UserCreate, UserRole, UserSession, utcnow
from .passwords import hash_password, password_problems, verify_password

__all__ = [
    "CurrentUser",
    "UserError",
    "create_user",
    "authenticate",
    "start_session",
    "resume_session",
    "end_session",
    "end_all_sessions",
    "throttled",
    "record_failure",
    "roles_of",
]


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    worker_name: str | None
    team_name: str | None

    def has(self, role: str) -> bool:
        return role in self.roles


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def roles_of(user_id: int, *, session: Session) -> frozenset[str]:
    rows = session.exec(select(UserRole.role).where(UserRole.user_id == user_id))
    return frozenset(rows)


def create_user(data: UserCreate, *, session: Session, check_password: bool = True) -> User:
    """Create a user with roles; refuses unknown roles, duplicates and weak passwords."""
    unknown = set(data.roles) - set(ROLES)
    if unknown or not data.roles:
        raise UserError(f"Roles must be one or more of: {', '.join(ROLES)}")
    if session.exec(select(User).where(User.username == data.username)).first():
        raise UserError(f"A user called {data.username!r} already exists")
    if check_password:
        problems = password_problems(data.password, username=data.username)
        if problems:
            raise UserError("; ".join(problems))
    user = User(
        username=data.username,
        display_name=data.display_name or data.username,
        password_hash=hash_password(data.password),
        worker_name=data.worker_name,
        team_name=data.team_name,
    )
    session.add(user)
    session.flush()
    for role in sorted(set(data.roles)):
        session.add(UserRole(user_id=user.id, role=role))
    session.commit()
    return user


def throttled(
    username: str, address: str, *, failures: int, minutes: int, session: Session
) -> bool:
    """True when the account or the address has had ``failures`` failed logins lately."""
    since = utcnow() - timedelta(minutes=minutes)
    by_user = session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.username == username.lower(), LoginAttempt.at >= since)
    ).one()
    by_address = session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.address == address, LoginAttempt.at >= since)
    ).one()
    return by_user >= failures or by_address >= failures


def record_failure(username: str, address: str, *, session: Session) -> None:
    session.add(LoginAttempt(username=username.lower()[:100], address=address))
    session.commit()


def authenticate(username: str, password: str, *, session: Session) -> User | None:
    user = session.exec(select(User).where(User.username == username)).first()
    # End the transaction before the deliberately slow hash: a login is a POST, whose
    # SQLite transactions hold the write lock, and nobody should queue behind argon2.
    session.commit()
    if user is None:
        verify_password(hash_password("timing-equaliser"), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    session.exec(delete(LoginAttempt).where(LoginAttempt.username == username.lower()))
    session.commit()
    return user


def start_session(user: User, address: str, *, session: Session) -> str:
    """A new login session; returns the token the cookie carries (never stored in clear)."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_token_hash(token), user_id=user.id, address=address))
    session.commit()
    return token


def resume_session(
    token: str, *, idle: timedelta, absolute: timedelta, session: Session
) -> CurrentUser | None:
    """The user behind ``token``, or None when it is unknown, revoked or timed out."""
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == _token_hash(token))
    ).first()
    if row is None or row.revoked:
        return None
    now = utcnow()
    if now - _aware(row.last_seen_at) > idle or now - _aware(row.created_at) > absolute:
        row.revoked = True
        session.add(row)
        session.commit()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - _aware(row.last_seen_at) > timedelta(seconds=60):
        # Touch at most once a minute, so reads do not each take SQLite's write lock.  End
        # the read first: a write that opens its own transaction waits for the lock, where
        # one that follows reads fails at once if someone else wrote in between (SQLite).
        session.commit()
        session.exec(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        session.commit()
    return CurrentUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        roles=roles_of(user.id, session=session),
        worker_name=user.worker_name,
        team_name=user.team_name,
    )


def end_session(token: str, *, session: Session) -> None:
    session.exec(
        update(UserSession).where(UserSession.token_hash == _token_hash(token)).values(revoked=True)
    )
    session.commit()


def end_all_sessions(user_id: int, *, session: Session) -> None:
    session.exec(update(UserSession).where(UserSession.user_id == user_id).values(revoked=True))
    session.commit()
