"""Loading an authority's case data: Annex A, CIN census XML or the app's CSV.

:func:`run_import` is the one entry point (CLI, upload page, tests).  It stages and
validates the whole file first, diffs it against the database with reads only,
prepares the rows in the database's storage form (SQLite), then writes everything in
one short transaction, so the data commit together or not at all.  Every attempt,
refused and failed ones too, is kept as an ``ImportBatch``.
"""

import hashlib
import logging
import os
import socket
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select, update

from ..db import refresh_statistics, write_intent
from ..models import ImportBatch
from . import merge
from .annex_a import read_annex_a
from .cin_census import read_cin_census
from .csv_files import is_app_csv, read_app_csv
from .report import Refused, Report
from .rows import Row
from .staging import Stage
from .tables import refuse_unreadable, sniff

if TYPE_CHECKING:
    from ..summaries import Helpers

__all__ = [
    "FORMATS",
    "ImportResult",
    "Refused",
    "run_import",
    "detect_format",
    "start_batch",
    "close_interrupted",
]

log = logging.getLogger(__name__)

FORMATS = ("annex-a", "cin-census", "csv")
DEFAULT_MAX_REJECT = 10.0
PROGRESS_EVERY = 5000
#: From this size a file is likely to change enough children for the rebuild after it to
#: use helper processes (``summaries.PARALLEL_FROM``): they are started before reading.
PRESTART_BYTES = 2_000_000
BATCH_T = ImportBatch.__table__


@dataclass
class ImportResult:
    """What an import did.  ``ok`` when the accepted rows were committed (or would be, dry run)."""

    batch_id: int | None
    status: str  # committed, dry-run, refused, failed
    message: str
    report: dict[str, Any] = field(default_factory=dict)
    changed_children: list[str] = field(default_factory=list)
    checksum: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in {"committed", "dry-run"}


def checksum(path: Path) -> str | None:
    if path.is_dir():
        digest = hashlib.sha256()
        for p in sorted(path.iterdir()):
            if p.is_file():
                digest.update(p.name.encode())
                digest.update(hashlib.sha256(p.read_bytes()).digest())
        return digest.hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """annex-a, cin-census or csv, from what the file holds (not its name)."""
    kind = sniff(path)
    if kind == "xlsx":
        return "annex-a"
    if kind == "xml":
        return "cin-census"
    if kind in {"folder", "zip", "text"}:
        return "csv" if is_app_csv(path) else "annex-a"
    refuse_unreadable(kind, path.name)
    raise Refused(f"{path.name} is not a format the app reads.")


def _reader(fmt: str) -> Callable[[Path, Report], Iterator[Row]]:
    return {"annex-a": read_annex_a, "cin-census": read_cin_census, "csv": read_app_csv}[fmt]


RUNNER_PREFIX = "Running in process "


def _runner_note() -> str:
    return f"{RUNNER_PREFIX}{os.getpid()} on {socket.gethostname()}"


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_interrupted(engine: Engine) -> list[int]:
    """Mark as failed the batches still "running" whose process on this host has died.

    A killed import (SIGKILL, a crash, a worker restarted) rolled its data back but
    could not record its end; without this its history row would say "running" forever.
    """
    host = socket.gethostname()
    with engine.connect() as conn:
        running = conn.execute(
            select(BATCH_T.c.id, BATCH_T.c.message).where(BATCH_T.c.status == "running")
        ).all()
    dead = []
    for batch_id, note in running:
        pid_text, _, on_host = (note or "").removeprefix(RUNNER_PREFIX).partition(" on ")
        if not (note or "").startswith(RUNNER_PREFIX) or on_host != host:
            continue
        if pid_text.isdigit() and not _is_alive(int(pid_text)):
            dead.append(batch_id)
    for batch_id in dead:
        _set(
            engine,
            batch_id,
            status="failed",
            finished_at=datetime.now(UTC),
            progress="Interrupted",
            message="The import was interrupted (its process stopped) and nothing was changed.",
        )
    return dead


def start_batch(
    engine: Engine,
    *,
    file_name: str,
    user_id: int | None = None,
    dry_run: bool = False,
    file_format: str | None = None,
    file_checksum: str | None = None,
) -> int:
    """Create the batch row (status running) at once, so a page can poll it."""
    close_interrupted(engine)
    with engine.begin() as conn:
        result = conn.execute(
            insert(BATCH_T).values(
                file_name=file_name[:500],
                user_id=user_id,
                dry_run=dry_run,
                status="running",
                file_format=file_format,
                checksum=file_checksum,
                started_at=datetime.now(UTC),
                progress="Waiting to start",
                message=_runner_note(),
            )
        )
        return result.inserted_primary_key[0]


def _set(conn_or_engine, batch_id: int, **values: Any) -> None:
    statement = update(BATCH_T).where(BATCH_T.c.id == batch_id).values(**values)
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.begin() as conn:
            conn.execute(statement)
    else:
        conn_or_engine.execute(statement)


def run_import(
    path: Path | str,
    *,
    engine: Engine,
    file_format: str | None = None,
    dry_run: bool = False,
    max_reject: float = DEFAULT_MAX_REJECT,
    user_id: int | None = None,
    file_name: str | None = None,
    batch_id: int | None = None,
    progress: Callable[[str], None] | None = None,
    staging_dir: Path | None = None,
) -> ImportResult:
    """Validate ``path`` and load its accepted rows in one transaction (unless ``dry_run``).

    Never raises for a bad file or a failed write: the result says refused or failed,
    and the batch row records it.
    """
    path = Path(path)
    name = file_name or path.name
    digest = None
    try:
        digest = checksum(path) if path.exists() else None
    except OSError:
        digest = None
    if batch_id is None:
        batch_id = start_batch(
            engine,
            file_name=name,
            user_id=user_id,
            dry_run=dry_run,
            file_format=file_format,
            file_checksum=digest,
        )
    else:
        _set(engine, batch_id, checksum=digest)
    report = Report()
    last_progress = [""]

    def say(text: str, *, store: bool = True) -> None:
        last_progress[0] = text
        if progress:
            progress(text)
        if store:
            _set(engine, batch_id, progress=text[:200])

    stage = helpers = None
    try:
        if not path.exists():
            raise Refused(f"{name} does not exist.")
        fmt = file_format or detect_format(path)
        if fmt not in FORMATS:
            raise Refused(f"Unknown format '{fmt}': use one of {', '.join(FORMATS)}.")
        report.file_format = fmt
        _set(engine, batch_id, file_format=fmt)
        stage = Stage(staging_dir)
        if not dry_run and _size(path) >= PRESTART_BYTES:
            from ..summaries import start_helpers

            helpers = start_helpers()  # they start while this process reads
        say("Reading the file")
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (data validation, styles).
            warnings.simplefilter("ignore")
            for count, row in enumerate(_reader(fmt)(path, report), start=1):
                stage.add(row, report)
                if count % PROGRESS_EVERY == 0:
                    say(f"Read {count:,} rows")
        result = _finish(
            stage,
            report,
            engine=engine,
            batch_id=batch_id,
            dry_run=dry_run,
            max_reject=max_reject,
            say=say,
            helpers=helpers,
        )
    except Refused as refusal:
        result = _close(engine, batch_id, "refused", str(refusal), report)
    except Exception as error:  # a failed write or a bug: the data transaction rolled back
        log.error(
            "Import %s failed: %s",
            batch_id,
            type(error).__name__,
            exc_info=not isinstance(error, OSError),
        )
        result = _close(
            engine,
            batch_id,
            "failed",
            f"The import failed and nothing was changed ({type(error).__name__}).",
            report,
        )
    finally:
        if stage is not None:
            stage.close()
        if helpers is not None:
            helpers.close()
    result.checksum = digest
    return result


def _finish(
    stage: Stage,
    report: Report,
    *,
    engine: Engine,
    batch_id: int,
    dry_run: bool,
    max_reject: float,
    say: Callable[..., None],
    helpers: "Helpers | None" = None,
) -> ImportResult:
    read, rejected = report.rows_read, report.rows_rejected
    if read == 0:
        raise Refused("The file holds no rows of case data.")
    if rejected and rejected * 100 > max_reject * read:
        raise Refused(
            f"{rejected:,} of {read:,} rows ({rejected * 100 / read:.1f}%) were "
            f"rejected, more than the {max_reject:g}% allowed. Nothing was loaded; "
            "correct the file and import it again."
        )
    say("Checking the rows against the database")
    stage.finish()
    merge.diff(stage, engine, report, progress=lambda text: say(text))
    changed = merge.changed_children(stage)
    summary = _summary(report, dry_run)
    if dry_run:
        return _close(engine, batch_id, "dry-run", summary, report, changed)
    events = report.events["added"] + report.events["changed"]
    if merge.can_prepare(engine):
        # Outside the database's write lock: the final transaction only copies rows.
        say(f"Preparing {events:,} events for the database")
        merge.prepare(stage, engine.dialect, batch_id)
    say(f"Writing {events:,} events to the database")
    values = _final_values("committed", summary, report, changed)
    intent = write_intent.set(True)  # SQLite: BEGIN IMMEDIATE, queueing for the lock up front
    try:
        with merge.attached(engine, stage) as conn, conn.begin():
            merge.write(stage, conn, batch_id)
            _set(conn, batch_id, **values)
    finally:
        write_intent.reset(intent)
    _rebuild_journeys(engine, changed, say, helpers)
    if events or report.children["added"] + report.children["changed"]:
        _refresh_statistics(engine)
    return ImportResult(batch_id, "committed", summary, report.to_json(), changed)


def _refresh_statistics(engine: Engine) -> None:
    """PostgreSQL's planner statistics after the load (a failure leaves the import committed)."""
    try:
        refresh_statistics(engine)
    except Exception as error:
        log.error("Refreshing planner statistics after an import failed: %s", type(error).__name__)


def _size(path: Path) -> int:
    """Bytes in ``path`` (a file, or the files of a folder)."""
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _rebuild_journeys(
    engine: Engine, refs: list[str], say: Callable[..., None], helpers: "Helpers | None" = None
) -> None:
    """Rebuild the journey summaries of the children the import changed (after it committed).

    A failure here leaves the import committed; ``frontdoor rebuild-journeys`` catches up.
    """
    from ..summaries import child_ids_for_refs, rebuild_summaries

    if not refs:
        return
    try:
        say(f"Rebuilding the journeys of {len(refs):,} children", store=False)
        ids = child_ids_for_refs(refs, engine=engine)
        rebuild_summaries(engine=engine, child_ids=ids, helpers=helpers)
    except Exception as error:
        log.error("Journey rebuild after an import failed: %s", type(error).__name__)


def _summary(report: Report, dry_run: bool) -> str:
    c, e = report.children, report.events
    verb = "Would add" if dry_run else "Added"
    return (
        f"{verb} {c['added']:,} children and {e['added']:,} events; "
        f"{'would change' if dry_run else 'changed'} {c['changed']:,} children and "
        f"{e['changed']:,} events; {c['unchanged'] + e['unchanged']:,} records unchanged. "
        f"{report.rows_rejected:,} of {report.rows_read:,} rows rejected, "
        f"{report.rows_warned:,} accepted with warnings."
    )


def _final_values(
    status: str, message: str, report: Report, changed: list[str] | None = None
) -> dict[str, Any]:
    return {
        "status": status,
        "message": message[:2000],
        "finished_at": datetime.now(UTC),
        "rows_read": report.rows_read,
        "rows_rejected": report.rows_rejected,
        "rows_warned": report.rows_warned,
        "added": report.children["added"] + report.events["added"],
        "changed": report.children["changed"] + report.events["changed"],
        "unchanged": report.children["unchanged"] + report.events["unchanged"],
        "progress": "Finished",
        "report": report.to_json(),
        "changed_children": changed,
    }


def _close(
    engine: Engine,
    batch_id: int,
    status: str,
    message: str,
    report: Report,
    changed: list[str] | None = None,
) -> ImportResult:
    if status in {"refused", "failed"}:
        # Nothing was written: the counts of what would have changed would mislead.
        report.children = {"added": 0, "changed": 0, "unchanged": 0}
        report.events = {"added": 0, "changed": 0, "unchanged": 0}
        changed = []
    values = _final_values(status, message, report, changed)
    try:
        _set(engine, batch_id, **values)
    except Exception as error:  # the history row is best effort when the database is down
        log.error("Could not record import %s as %s: %s", batch_id, status, type(error).__name__)
    return ImportResult(batch_id, status, message, report.to_json(), changed or [])
