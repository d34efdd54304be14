"""Every database table of the app, as SQLModel classes.

Table models do not validate; the non-table ``...Create`` models do, and data
functions build rows from them.  Datetimes are stored as UTC; SQLite drops the
tzinfo, which ``audit_app.mapping`` re-attaches where rows become domain objects.
"""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

ROLES: tuple[str, ...] = ("admin", "qa_lead", "practice_manager", "auditor", "viewer")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Team(SQLModel, table=True):
    """A team named in the case data; an admin sets its locality."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    locality: str | None = Field(default=None, max_length=200)


class Child(SQLModel, table=True):
    """A child, keyed by the authority's own identifier (a string: leading zeros kept)."""

    id: int | None = Field(default=None, primary_key=True)
    child_ref: str = Field(index=True, unique=True, max_length=64)
    sex: str | None = Field(default=None, max_length=8)
    ethnicity: str | None = Field(default=None, max_length=8)
    dob: date | None = None
    expected_dob: date | None = None
    disability: bool | None = None
    uasc: bool | None = None
    # The values as the file gave them, where they were normalised: {"sex": "F", ...}
    raw: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    batch_id: int | None = Field(default=None, foreign_key="importbatch.id")
    updated_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """One journey event.  ``kind`` is one of ``journeys.EVENT_KINDS``.

    The natural key is (child, kind, start date, occurrence on that date): a newer
    export of the same data updates the row in place.  The optional columns are
    ``journeys.EVENT_FIELDS``, one for one; ``details`` keeps the remaining Annex A
    fields (List 8's long tail) and ``raw`` the values as the file gave them.
    """

    __table_args__ = (
        UniqueConstraint("child_id", "kind", "start_date", "occurrence", name="uq_event_natural"),
        Index("ix_event_kind_start", "kind", "start_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    kind: str = Field(max_length=16)
    start_date: date
    end_date: date | None = None
    occurrence: int = 0

    source: str | None = Field(default=None, max_length=16)
    outcome: str | None = Field(default=None, max_length=200)
    nfa: bool | None = None
    organisation: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200, index=True)
    worker: str | None = Field(default=None, max_length=200)
    referrals_last_12m: int | None = None
    child_seen: bool | None = None
    in_need: bool | None = None
    factors: str | None = Field(default=None, max_length=400)
    icpc_not_required: bool | None = None
    s47_last_12m: int | None = None
    icpcs_last_12m: int | None = None
    plan_resulted: bool | None = None
    primary_need: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, max_length=200)
    case_status: str | None = Field(default=None, max_length=100)
    last_seen: date | None = None
    category_initial: str | None = Field(default=None, max_length=32)
    category_latest: str | None = Field(default=None, max_length=32)
    last_visit: date | None = None
    seen_alone: bool | None = None
    latest_review: date | None = None
    reviews: str | None = Field(default=None, max_length=2000)
    previous_plans: int | None = None
    epo: bool | None = None
    category_of_need: str | None = Field(default=None, max_length=16)
    legal_status: str | None = Field(default=None, max_length=16)
    legal_status_start: date | None = None
    placement_type: str | None = Field(default=None, max_length=16)
    placement_provider: str | None = Field(default=None, max_length=16)
    placement_location: str | None = Field(default=None, max_length=64)

    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    raw: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    batch_id: int | None = Field(default=None, foreign_key="importbatch.id")


class ImportBatch(SQLModel, table=True):
    """One attempt to load a file: committed, refused or failed, it is kept."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    file_name: str = Field(max_length=500)
    file_format: str | None = Field(default=None, max_length=32)
    checksum: str | None = Field(default=None, max_length=64)
    status: str = Field(
        default="running", max_length=32
    )  # running, committed, refused, failed, dry-run
    dry_run: bool = False
    rows_read: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    message: str | None = Field(default=None, max_length=2000)
    progress: str | None = Field(default=None, max_length=200)
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    changed_children: list[str] | None = Field(default=None, sa_column=Column(JSON))


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=100)
    display_name: str | None = Field(default=None, max_length=200)
    password_hash: str = Field(max_length=500)
    active: bool = True
    # How the user appears in the case data, so a case is never assigned to its own worker.
    worker_name: str | None = Field(default=None, max_length=200)
    team_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    created_at: datetime = Field(default_factory=utcnow)


class UserRole(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(max_length=32)


class UserSession(SQLModel, table=True):
    """A server-side login session: the cookie carries only its random token."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    revoked: bool = False
    address: str | None = Field(default=None, max_length=64)


class LoginAttempt(SQLModel, table=True):
    """Failed logins, counted per account and per address for the throttle."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, max_length=100)
    address: str = Field(index=True, max_length=64)
    at: datetime = Field(default_factory=utcnow, index=True)


class AccessLog(SQLModel, table=True):
    """Who viewed or exported which child's record, what, when and from where.

    Append-only: the app has no route that edits or deletes it.
    """

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    username: str = Field(max_length=100)
    child_ref: str | None = Field(default=None, index=True, max_length=64)
    action: str = Field(max_length=64)
    detail: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=64)


class UserCreate(SQLModel):
    """Validates a new user before a row is written."""

    username: str = Field(min_length=2, max_length=100, regex=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=1, max_length=500)
    roles: list[str]
    display_name: str | None = None
    worker_name: str | None = None
    team_name: str | None = None
