"""Backup, restore and retention: keeping the database safe and no larger than it should be."""

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, func, select

from .models import Audit, AuditCase, Child, Event, JourneySummary

__all__ = ["MaintenanceError", "backup_sqlite", "check_backup", "restore_sqlite", "parse_age", "purge", "PurgeResult"]

#: Kinds that run over time: one without an end date is an open episode, never purged.
EPISODE_KINDS = ("early_help", "assessment", "s47", "cin_episode", "cin_plan", "cp_plan", "lac")

REQUIRED_TABLES = {"alembic_version", "child", "event", "user", "audit", "auditcase"}


class MaintenanceError(RuntimeError):
    """A backup, restore or purge that cannot go ahead; the message says why."""


def _sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise MaintenanceError(
            "This command works on the SQLite database. For PostgreSQL use pg_dump / pg_restore "
            "(see the README's Backups section)."
        )
    return Path(url.removeprefix("sqlite:///"))


def backup_sqlite(url: str, target: Path) -> Path:
    """A consistent online copy of the SQLite database at ``url`` (others may keep working)."""
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise MaintenanceError(f"There is no database at {source_path}")
    if target.exists():
        raise MaintenanceError(f"{target} exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path)
    dest = sqlite3.connect(target)
    try:
        with dest:
            source.backup(dest)
    finally:
        dest.close()
        source.close()
    return target


def check_backup(path: Path, head: str | None) -> str:
    """The backup's schema revision, after checking it is a backup of this app's schema."""
    if not path.is_file():
        raise MaintenanceError(f"{path} is not a file")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise MaintenanceError(f"{path} is not a SQLite database, so not a Front Door Audit backup")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = REQUIRED_TABLES - tables
        if missing:
            raise MaintenanceError(f"{path} is not a Front Door Audit backup: no table {', '.join(sorted(missing))}")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise MaintenanceError(f"{path} is damaged (SQLite integrity check failed)")
    finally:
        conn.close()
    if revision is None or (head and revision[0] != head):
        raise MaintenanceError(
            f"{path} is at schema revision {revision[0] if revision else 'none'}, this app is at {head}: "
            "restore it with the version of the app that made it, then run init-db"
        )
    return revision[0]


def restore_sqlite(url: str, source: Path, head: str | None) -> None:
    """Replace the database at ``url`` with the backup ``source`` (checked first)."""
    check_backup(source, head)
    target_path = _sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dest = sqlite3.connect(target_path, timeout=30)
    try:
        with dest:
            src.backup(dest)
    finally:
        dest.close()
        src.close()


_AGE = re.compile(r"^\s*(\d+)\s*([ymd])\s*$", re.I)


def parse_age(text: str, today: date) -> date:
    """The cut-off date for an age such as ``7y``, ``18m`` or ``400d`` before ``today``."""
    match = _AGE.match(text or "")
    if not match:
        raise MaintenanceError(f"--older-than {text!r}: write a number and y, m or d, for example 7y")
    number, unit = int(match.group(1)), match.group(2).lower()
    if unit == "d":
        return today - timedelta(days=number)
    months = number * 12 if unit == "y" else number
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


@dataclass
class PurgeResult:
    cutoff: date
    children: int = 0
    events: int = 0
    kept_for_open_audits: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def purge(engine: Engine, cutoff: date, *, dry_run: bool = False) -> PurgeResult:
    """Remove children whose every event ended (or started, when open-ended) before ``cutoff``.

    Never a child in an audit that is still open, and never a child who appears in any
    audit's findings (they are kept with the audit until it is closed).  One transaction.
    """
    result = PurgeResult(cutoff=cutoff)
    last_activity = func.max(func.coalesce(Event.end_date, Event.start_date))
    with engine.begin() as conn:
        stale = select(Event.child_id).group_by(Event.child_id).having(last_activity < cutoff)
        still_open = select(Event.child_id).where(Event.end_date.is_(None), Event.kind.in_(EPISODE_KINDS))
        candidates = set(conn.execute(stale).scalars()) - set(conn.execute(still_open).scalars())
        protected = set(
            conn.execute(
                select(AuditCase.child_id).join(Audit, Audit.id == AuditCase.audit_id).where(Audit.status == "open")
            ).scalars()
        ) & candidates
        doomed = sorted(candidates - protected)
        result.kept_for_open_audits = len(protected)
        result.children = len(doomed)
        for chunk_start in range(0, len(doomed), 500):
            chunk = doomed[chunk_start : chunk_start + 500]
            for kind, count in conn.execute(
                select(Event.kind, func.count()).where(Event.child_id.in_(chunk)).group_by(Event.kind)
            ):
                result.by_kind[kind] = result.by_kind.get(kind, 0) + count
            if dry_run:
                continue
            in_closed_audits = set(conn.execute(select(AuditCase.child_id).where(AuditCase.child_id.in_(chunk))).scalars())
            removable = [c for c in chunk if c not in in_closed_audits]
            conn.execute(delete(Event).where(Event.child_id.in_(chunk)))
            conn.execute(delete(JourneySummary).where(JourneySummary.child_id.in_(chunk)))
            if removable:
                conn.execute(delete(Child).where(Child.id.in_(removable)))
        result.events = sum(result.by_kind.values())
    return result
