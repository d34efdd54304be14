"""Every database table of the app, as SQLModel classes.

Table models do not validate; the non-table ``...Create`` models do, and data
functions build rows from them.  Datetimes are stored as UTC; SQLite drops the
tzinfo, which ``audit_app.mapping`` re-attaches where rows become domain objects.
"""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, event
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

    __table_args__ = (
        # The case list's child ID search is a prefix match: PostgreSQL reads it from an
        # index that compares bytes whatever the collation (on SQLite, an index like the
        # unique one; the search reads that).  Age bands are ranges of birth dates.
        Index("ix_child_child_ref_prefix", "child_ref",
              postgresql_ops={"child_ref": "varchar_pattern_ops"}),
        Index("ix_child_dob_expected_dob", "dob", "expected_dob"),
    )  # fmt: skip

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
        # Covers every column the SEF indicators read, so a period's events come
        # from the index alone (reports.indicators: 12 months of 150,000 children in < 1 s).
        Index(
            "ix_event_indicators",
            "kind", "start_date", "end_date", "child_id", "occurrence", "team", "worker",
            "source", "nfa", "in_need", "plan_resulted", "previous_plans", "referrals_last_12m",
        ),  # fmt: skip
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


class JourneySummary(SQLModel, table=True):
    """The part of a child's journey findings that does not depend on the date.

    Derived from the events by ``journeys`` and rebuilt on import only for children
    whose events changed (``events_hash``).  Cohort rules and the case list filter on
    the indexed columns; ``data`` holds the whole summary as ``journeys`` returns it.
    """

    # The case list's order (latest referral first, then child id), read along one index.
    __table_args__ = (
        Index("ix_journeysummary_latest_referral_child_id", "latest_referral", "child_id"),
    )

    child_id: int = Field(foreign_key="child.id", primary_key=True)
    events_hash: str = Field(max_length=64)
    path: str = Field(default="", max_length=500)
    furthest_stage: str | None = Field(default=None, max_length=16, index=True)
    referral_count: int = 0
    first_referral: date | None = Field(default=None, index=True)
    latest_referral: date | None = None  # indexed with child_id: see __table_args__
    latest_source: str | None = Field(default=None, max_length=16, index=True)
    team: str | None = Field(default=None, max_length=200, index=True)
    worker: str | None = Field(default=None, max_length=200, index=True)
    rereferred: bool = Field(default=False, index=True)  # a case-list filter
    repeat_cp: bool = False
    history_incomplete: bool = False
    anomaly_count: int = 0
    anomalies: str = Field(default="", max_length=500)  # comma-separated anomaly codes
    breach_count: int = 0
    # The first day an assessment still open in the data is past its 45 working days
    # (so "overdue at a date" is one indexed comparison); also in ``data``.
    assessment_overdue_from: date | None = Field(default=None, index=True)
    factors: str = Field(default="", max_length=500)  # comma-separated CIN census codes
    cp_categories: str = Field(default="", max_length=200)
    outcomes: str = Field(default="", max_length=200)  # comma-separated: nfa, early_help, cin, s47, cp_plan, lac
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    built_at: datetime = Field(default_factory=utcnow)


class SummaryCode(SQLModel, table=True):
    """One code of a journey summary's comma-separated lists: a row per child, list and code.

    ``kind`` names the list (``factor``, ``cp_category``, ``anomaly``, ``outcome``: the
    summary's ``factors``, ``cp_categories``, ``anomalies`` and ``outcomes``), so "children
    whose assessment found 3A or 3B" is an index range instead of a ``LIKE`` over every
    summary.  Derived: written with the summaries (``audit_app.audits.factors``), and read
    only through ``JourneySummary`` (a row whose summary is gone is never counted).  No
    foreign key, so deleting summaries or children never waits on it.
    """

    __table_args__ = (Index("ix_summarycode_kind_code_child_id", "kind", "code", "child_id"),)

    child_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(primary_key=True, max_length=16)
    code: str = Field(primary_key=True, max_length=64)


class Audit(SQLModel, table=True):
    """A themed audit: what is audited, with which template, over which period."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    theme: str = Field(max_length=64)
    template_key: str = Field(max_length=64)
    template_version: int = 1
    template_fingerprint: str | None = Field(default=None, max_length=64)
    period_start: date | None = None
    period_end: date | None = None
    due_date: date | None = None
    rules: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    status: str = Field(default="open", max_length=16)  # open, closed
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class SampleDraw(SQLModel, table=True):
    """One recorded draw of a sample: never changed once made; a redraw is a new row."""

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", index=True)
    drawn_at: datetime = Field(default_factory=utcnow)
    drawn_by: int | None = Field(default=None, foreign_key="user.id")
    method: str = Field(max_length=16)  # random, stratified, purposive
    stratify_by: str | None = Field(default=None, max_length=32)
    allocation: str | None = Field(default=None, max_length=16)  # proportional, equal
    marker: str | None = Field(default=None, max_length=32)  # purposive: top N by this
    n: int = 0
    seed: int = 0
    frame_size: int = 0
    frame_hash: str = Field(max_length=64)
    rules: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    exclusions: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    description: str = Field(default="", max_length=2000)
    child_refs: list[str] | None = Field(default=None, sa_column=Column(JSON))
    reserve_refs: list[str] | None = Field(default=None, sa_column=Column(JSON))
    active: bool = True


class AuditCase(SQLModel, table=True):
    """A sampled child in an audit: its assignment, lifecycle and overall outcome.

    ``version`` is the optimistic lock: every save names the version it read.
    """

    __table_args__ = (UniqueConstraint("audit_id", "child_id", name="uq_audit_child"),)

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    draw_id: int | None = Field(default=None, foreign_key="sampledraw.id")
    position: int = 0
    reserve: bool = False  # drawn as a reserve and not (yet) used
    replaced: bool = False
    replacement_reason: str | None = Field(default=None, max_length=500)
    auditor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    due_date: date | None = None
    # not_started, in_progress, submitted, moderation, moderated, finalised
    status: str = Field(default="not_started", max_length=16, index=True)
    template_key: str | None = Field(default=None, max_length=64)
    template_version: int | None = None
    overall_grade: str | None = Field(default=None, max_length=64)
    final_grade: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, sa_column=Column(JSON))
    practitioner_response: str | None = Field(default=None, max_length=10000)
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    finalised_at: datetime | None = None
    finalised_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = 1


class Answer(SQLModel, table=True):
    """The current answer to one question of one audited case (history in AnswerChange)."""

    __table_args__ = (UniqueConstraint("audit_case_id", "question_key", name="uq_answer_question"),)

    id: int | None = Field(default=None, primary_key=True)
    audit_case_id: int = Field(foreign_key="auditcase.id", index=True)
    question_key: str = Field(max_length=64)
    value: Any | None = Field(default=None, sa_column=Column(JSON))
    evidence: str | None = Field(default=None, max_length=5000)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class AnswerChange(SQLModel, table=True):
    """Who changed which answer when, from what to what, and why (amendments need a reason)."""

    id: int | None = Field(default=None, primary_key=True)
    audit_case_id: int = Field(foreign_key="auditcase.id", index=True)
    question_key: str = Field(max_length=64)
    old_value: Any | None = Field(default=None, sa_column=Column(JSON))
    new_value: Any | None = Field(default=None, sa_column=Column(JSON))
    changed_by: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=utcnow)
    reason: str | None = Field(default=None, max_length=2000)


class Moderation(SQLModel, table=True):
    """A second, senior grading of an audited case, made blind."""

    id: int | None = Field(default=None, primary_key=True)
    audit_case_id: int = Field(foreign_key="auditcase.id", index=True, unique=True)
    moderator_id: int | None = Field(default=None, foreign_key="user.id")
    selected_by: int | None = Field(default=None, foreign_key="user.id")
    selected_at: datetime = Field(default_factory=utcnow)
    selection: str = Field(default="chosen", max_length=16)  # chosen, random, inadequate
    grades: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # question key -> grade
    submitted_at: datetime | None = None
    agreement: str | None = Field(default=None, max_length=16)  # agree, disagree
    note: str | None = Field(default=None, max_length=5000)


class AuditAction(SQLModel, table=True):
    """A remedial action raised from an audit."""

    id: int | None = Field(default=None, primary_key=True)
    audit_case_id: int = Field(foreign_key="auditcase.id", index=True)
    description: str = Field(max_length=2000)
    owner: str = Field(max_length=200)
    team: str | None = Field(default=None, max_length=200)
    due_date: date | None = None
    status: str = Field(default="open", max_length=16)  # open, done
    closing_evidence: str | None = Field(default=None, max_length=5000)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    version: int = 1


class Escalation(SQLModel, table=True):
    """An immediate concern about a child's safety, raised by an auditor."""

    id: int | None = Field(default=None, primary_key=True)
    audit_case_id: int = Field(foreign_key="auditcase.id", index=True)
    raised_by: int | None = Field(default=None, foreign_key="user.id")
    raised_at: datetime = Field(default_factory=utcnow)
    note: str = Field(max_length=5000)
    acknowledged_by: int | None = Field(default=None, foreign_key="user.id")
    acknowledged_at: datetime | None = None
    action_taken: str | None = Field(default=None, max_length=5000)
    emailed: bool = False


class SefSection(SQLModel, table=True):
    """A version of one section of the self-evaluation's narrative (kept: who and when)."""

    id: int | None = Field(default=None, primary_key=True)
    sef_key: str = Field(default="current", max_length=64, index=True)
    section: str = Field(max_length=32)  # "1".."9", "meta", "checklist-a".."checklist-p"
    text: str = Field(default="", max_length=100000)
    ticked: bool | None = None
    saved_by: int | None = Field(default=None, foreign_key="user.id")
    saved_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class Quote(SQLModel, table=True):
    """A redacted quote of a child's lived experience, picked by the QA lead for the SEF."""

    id: int | None = Field(default=None, primary_key=True)
    audit_case_id: int = Field(foreign_key="auditcase.id", index=True)
    question_key: str = Field(max_length=64)
    text: str = Field(max_length=5000)
    theme: str | None = Field(default=None, max_length=64)
    age_band: str | None = Field(default=None, max_length=16)
    approved: bool = False
    picked_by: int | None = Field(default=None, foreign_key="user.id")
    picked_at: datetime = Field(default_factory=utcnow)


class RowTally(SQLModel, table=True):
    """How many rows a big table holds, kept exact by PostgreSQL triggers (``audit_app.tally``).

    The case list shows how many children and summaries there are on every page; counting
    150,000 rows each time was half its cost on PostgreSQL.  The triggers add each
    statement's inserted rows and take off its deleted ones, in the same transaction, so
    a reader sees the tally of exactly the rows it can see.  Unused on SQLite, which
    counts a table from its b-tree cheaply.
    """

    name: str = Field(primary_key=True, max_length=64)
    rows: int = Field(sa_column=Column(BigInteger, nullable=False))


@event.listens_for(SQLModel.metadata, "after_create")
def _install_tallies(target, connection, **kw) -> None:
    """``create_all`` on PostgreSQL also installs the tally triggers (``audit_app.tally``)."""
    from .tally import install

    install(connection)
