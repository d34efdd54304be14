"""The derived ``JourneySummary`` table: each child's date-independent findings, rebuilt in bulk.

:func:`rebuild_summaries` cuts the children into chunks (id ranges, or slices of the ids
asked for); each chunk's events are read in one query ordered by child, each journey is
built with ``journeys``, and the chunk's summaries are upserted in one transaction.  A
big rebuild hands the chunks to worker processes, which read and write for themselves
(each read is short, so SQLite's WAL can be checkpointed as the writes go on).  A child
whose events (and the data's history start) hash the same as when its summary was
built is skipped, so a rebuild after an import touches only the children it changed.
What depends on the reference date (overdue work, open-episode age, status) is not
stored: the ``data`` column keeps the dates a query needs to decide it for any date.
"""

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import pairwise
from multiprocessing import get_context
from typing import Any

from sqlalchemy import Connection, Engine, String, delete, func, select, type_coerce

from journeys import EVENT_FIELDS, add_working_days, build_journey, summarise_journey
from journeys import JourneySummary as Summary

from .bulk import insert_rows
from .calendar import bank_holidays
from .mapping import event_from_mapping, event_from_row
from .models import Child, Event, JourneySummary

__all__ = [
    "SUMMARY_VERSION",
    "ASSESSMENT_RULES",
    "rebuild_summaries",
    "start_helpers",
    "summarise_events",
    "summary_row",
    "history_start",
    "holidays_between",
    "child_ids_for_refs",
]

log = logging.getLogger(__name__)

#: Part of every hash: bump it when what a summary holds changes, so all are rebuilt.
SUMMARY_VERSION = "2"
#: Timeliness rules whose open intervals make an assessment "overdue" at a date.
ASSESSMENT_RULES = ("referral_to_assessment", "assessment_duration")
#: Children per read and per write (one transaction each): a piece of work for a worker.
CHUNK = 2000
#: Below this many children to rebuild, one process is quicker than starting workers.
PARALLEL_FROM = 20000
#: Children per ``IN (...)`` list when rebuilding named children (under every driver's limit).
ID_CHUNK = 5000

CHILD_T = Child.__table__
EVENT_T = Event.__table__
SUMMARY_T = JourneySummary.__table__
#: The event columns a rebuild reads, in the order of ``mapping.ROW_COLUMNS``; the hash is
#: over their values, so this order is part of every stored hash.
_EVENT_COLUMNS = ("kind", "start_date", "end_date", "occurrence", *EVENT_FIELDS, "details")
_FRONT_DOOR = ("contact", "referral")


@lru_cache(maxsize=256)
def holidays_between(first_year: int, last_year: int) -> frozenset[date]:
    """England and Wales bank holidays of the years given (a journey needs only its own span)."""
    return frozenset(d for d in bank_holidays() if first_year <= d.year <= last_year)


def _holidays_for(events: list[dict[str, Any]], as_of: date) -> frozenset[date]:
    if not events:
        return frozenset()
    first = min(e["start_date"] for e in events)
    last = max(max((e["end_date"] or e["start_date"]) for e in events), as_of)
    # A year either side covers every due date (45 working days, 6 months) counted from them.
    return holidays_between(first.year - 1, last.year + 1)


def _holidays_of_rows(rows: list[tuple], as_of: date) -> frozenset[date]:
    """``_holidays_for`` of event rows (tuples of ``_EVENT_COLUMNS``)."""
    if not rows:
        return frozenset()
    first = min(r[1] for r in rows)
    last = max(max((r[2] or r[1]) for r in rows), as_of)
    return holidays_between(first.year - 1, last.year + 1)


def history_start(conn: Connection) -> date | None:
    """The earliest contact or referral the data hold: where the front-door history begins.

    Annex A reaches back six months, so a re-referral or repeat plan before then
    cannot be settled from the events alone (``journeys`` marks it history incomplete).
    """
    # One min() per kind, each a single step down the (kind, start date) index: PostgreSQL
    # scans every contact and referral for a min() over ``kind IN (...)`` (14 ms at 150k).
    firsts = [
        conn.execute(select(func.min(EVENT_T.c.start_date)).where(EVENT_T.c.kind == kind)).scalar()
        for kind in _FRONT_DOOR
    ]
    return min((first for first in firsts if first is not None), default=None)


def _digest(rows: list[tuple], salt: str) -> str:
    """A hash of a child's event rows (sorted by their natural key) and ``salt``."""
    return hashlib.sha256(f"{salt}|{rows!r}".encode()).hexdigest()


def _natural_key(row: tuple) -> tuple:
    return row[0], row[1], row[3] or 0


def _joined(values: Iterable[str], limit: int) -> str:
    text = ",".join(values)
    if len(text) > limit:
        text = text[:limit].rsplit(",", 1)[0]
    return text


def _assessment_overdue_from(summary: Summary, holidays: frozenset[date]) -> date | None:
    """The first date at which an assessment still open in the data is past its timescale.

    "Within N working days" is ``working_days_between(start, day) <= N``, so work is
    overdue on and after the (N+1)th working day from its start.
    """
    days = [
        add_working_days(t.start, t.limit + 1, holidays)
        for t in summary.timeliness
        if t.rule in ASSESSMENT_RULES and t.status == "open" and t.unit == "working_days"
    ]
    return min(days) if days else None


def summarise_events(
    events: list[dict[str, Any]], *, as_of: date, history: date | None
) -> tuple[Summary, frozenset[date]]:
    """One child's journey summary from its event rows (mappings with the event columns)."""
    holidays = _holidays_for(events, as_of)
    G = build_journey([event_from_mapping(e) for e in events], as_of=as_of, holidays=holidays)
    return summarise_journey(G, holidays=holidays, history_start=history), holidays


def summary_row(
    child_id: int,
    digest: str,
    summary: Summary,
    holidays: frozenset[date],
    built_at: datetime,
    history: date | None = None,
) -> dict[str, Any]:
    """The ``journeysummary`` row for one child."""
    data = summary.to_dict()
    data["history_start"] = history and history.isoformat()
    overdue_from = _assessment_overdue_from(summary, holidays)
    data["assessment_overdue_from"] = overdue_from and overdue_from.isoformat()
    data["open_checks"] = [
        {
            "rule": t.rule,
            "node": t.node,
            "start": t.start.isoformat(),
            "due": t.due.isoformat(),
            "limit": t.limit,
            "unit": t.unit,
        }
        for t in summary.timeliness
        if t.status == "open"
    ]
    return {
        "child_id": child_id,
        "events_hash": digest,
        "path": summary.path[:500],
        "furthest_stage": summary.furthest_stage,
        "referral_count": summary.referral_count,
        "first_referral": summary.first_referral,
        "latest_referral": summary.latest_referral,
        "latest_source": (summary.latest_source or None) and summary.latest_source[:16],
        "team": summary.team[:200] if summary.team else None,
        "worker": summary.worker[:200] if summary.worker else None,
        "rereferred": summary.rereferred,
        "repeat_cp": summary.repeat_cp,
        "history_incomplete": summary.history_incomplete,
        "anomaly_count": summary.anomaly_count,
        "anomalies": _joined(summary.anomaly_codes, 500),
        "breach_count": summary.breach_count,
        "assessment_overdue_from": overdue_from,
        "factors": _joined(summary.factors, 500),
        "cp_categories": _joined(summary.cp_categories, 200),
        "outcomes": _joined(summary.outcomes, 200),
        "data": data,
        "built_at": built_at,
    }


def _build_rows(
    work: list[tuple[int, str, list[tuple]]], as_of: date, history: date | None
) -> list[dict[str, Any]]:
    """Summary rows for a chunk of children (their event rows: tuples of ``_EVENT_COLUMNS``).

    The same as ``summarise_events`` of the rows as mappings, without making the mappings.
    """
    now = datetime.now(UTC)
    out = []
    for child_id, digest, rows in work:
        holidays = _holidays_of_rows(rows, as_of)
        G = build_journey([event_from_row(r) for r in rows], as_of=as_of, holidays=holidays)
        summary = summarise_journey(G, holidays=holidays, history_start=history)
        out.append(summary_row(child_id, digest, summary, holidays, now, history))
    return out


def child_ids_for_refs(refs: Iterable[str], *, engine: Engine) -> list[int]:
    """The database ids of the children with these child IDs (unknown ones are left out)."""
    refs = list(refs)
    ids: list[int] = []
    with engine.connect() as conn:
        for i in range(0, len(refs), ID_CHUNK):
            chunk = refs[i : i + ID_CHUNK]
            ids += conn.execute(
                select(CHILD_T.c.id).where(CHILD_T.c.child_ref.in_(chunk))
            ).scalars()
    return sorted(ids)


@dataclass(frozen=True)
class _Part:
    """Which children a piece of a rebuild covers: a list of ids, or ids in [low, high)."""

    ids: list[int] | None = None
    low: int | None = None
    high: int | None = None


def _events_by_child(conn: Connection, part: _Part) -> Iterator[tuple[int, list[tuple]]]:
    """Each child's event rows (tuples of ``_EVENT_COLUMNS``), child by child.

    One streaming query ordered by child (one per ``ID_CHUNK`` ids for a list); the
    read lasts while the caller hashes the chunk's children, not while it builds and
    writes them.  The events of a child come in any order and the caller sorts them.
    """
    # SQLite keeps JSON as text, and the JSON type decodes every row's "null" in Python:
    # read the text and decode only the rows that have details (the same values).
    raw_details = conn.dialect.name == "sqlite"
    columns: list[Any] = [CHILD_T.c.id.label("child_pk")]
    columns += [EVENT_T.c[name] for name in _EVENT_COLUMNS[:-1]]
    details = EVENT_T.c[_EVENT_COLUMNS[-1]]
    columns.append(type_coerce(details, String).label(details.name) if raw_details else details)
    base = select(*columns).select_from(
        CHILD_T.outerjoin(EVENT_T, EVENT_T.c.child_id == CHILD_T.c.id)
    )
    if part.ids is not None:
        queries = [
            base.where(CHILD_T.c.id.in_(part.ids[i : i + ID_CHUNK]))
            for i in range(0, len(part.ids), ID_CHUNK)
        ]
    else:
        if part.low is not None:
            base = base.where(CHILD_T.c.id >= part.low)
        if part.high is not None:
            base = base.where(CHILD_T.c.id < part.high)
        queries = [base]
    for query in queries:
        # Streamed rows cost less to make than a list of them from ``all()``.
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(
            query.order_by(CHILD_T.c.id)
        )
        current: int | None = None
        events: list[tuple] = []
        for row in result:
            pk = row[0]
            if pk != current:
                if current is not None:
                    yield current, events
                current, events = pk, []
            if row[1] is not None:
                if raw_details:
                    text = row[-1]
                    events.append(
                        (*row[1:-1], None if text is None or text == "null" else json.loads(text))
                    )
                else:
                    events.append(row[1:])
        if current is not None:
            yield current, events


def _known_hashes(conn: Connection, part: _Part) -> dict[int, str]:
    query = select(SUMMARY_T.c.child_id, SUMMARY_T.c.events_hash)
    if part.ids is None:
        if part.low is not None:
            query = query.where(SUMMARY_T.c.child_id >= part.low)
        if part.high is not None:
            query = query.where(SUMMARY_T.c.child_id < part.high)
        return {k: v for k, v in conn.execute(query)}
    known: dict[int, str] = {}
    for i in range(0, len(part.ids), ID_CHUNK):
        chunk = part.ids[i : i + ID_CHUNK]
        known.update((k, v) for k, v in conn.execute(query.where(SUMMARY_T.c.child_id.in_(chunk))))
    return known


def _write(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Upsert a chunk of summaries: delete the old rows and insert the new, in one transaction."""
    if not rows:
        return
    with engine.begin() as conn:
        conn.execute(
            delete(SUMMARY_T).where(SUMMARY_T.c.child_id.in_([r["child_id"] for r in rows]))
        )
        insert_rows(conn, SUMMARY_T, rows)
        from .audits.factors import write_codes  # here, not at the top: audits imports this module

        write_codes(conn, rows)


def _rebuild_chunk(
    engine: Engine, part: _Part, *, as_of: date, history: date | None, force: bool
) -> int:
    """Rebuild the summaries of one chunk: read, skip the unchanged, build, write."""
    salt = f"{SUMMARY_VERSION}|{history}"
    work: list[tuple[int, str, list[tuple]]] = []
    with engine.connect() as conn:
        known = {} if force else _known_hashes(conn, part)
        for child_id, rows in _events_by_child(conn, part):
            rows.sort(key=_natural_key)
            digest = _digest(rows, salt)
            if known.get(child_id) != digest:
                work.append((child_id, digest, rows))
    if work:
        _write(engine, _build_rows(work, as_of, history))
    return len(work)


def _rebuild_in_worker(
    url: str, part: _Part, as_of: date, history: date | None, force: bool
) -> int:
    """A worker process's piece of a big rebuild: one chunk, read and written by itself."""
    from .db import make_engine

    engine = make_engine(url)
    try:
        return _rebuild_chunk(engine, part, as_of=as_of, history=history, force=force)
    finally:
        engine.dispose()


def _chunks(conn: Connection, ids: list[int] | None) -> tuple[list[_Part], int]:
    """The rebuild's pieces of ``CHUNK`` children (slices of ``ids``, or id ranges over
    every child, open at both ends) and how many children they cover."""
    if ids is not None:
        # A run of consecutive ids (the children one import added, say) is read as a range.
        return [_part(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)], len(ids)
    all_ids = list(conn.execute(select(CHILD_T.c.id).order_by(CHILD_T.c.id)).scalars())
    if not all_ids:
        return [], 0
    bounds = [None, *all_ids[CHUNK::CHUNK], None]
    return [_Part(low=lo, high=hi) for lo, hi in pairwise(bounds)], len(all_ids)


def _part(ids: list[int]) -> _Part:
    """The part for these sorted, distinct ids: a range when they are consecutive."""
    if ids[-1] - ids[0] + 1 == len(ids):
        return _Part(low=ids[0], high=ids[-1] + 1)
    return _Part(ids=ids)


def _history_moved(conn: Connection, history: date | None) -> bool:
    """Whether the stored summaries were built with another history start than ``history``."""
    data = conn.execute(select(SUMMARY_T.c.data).limit(1)).scalar()
    return data is not None and data.get("history_start") != (history and history.isoformat())


def _warm() -> None:
    """A helper's first task: import what a rebuild needs, before there is work."""
    from . import db  # noqa: F401


@dataclass
class Helpers:
    """Processes that take chunks of a rebuild beside the process that asked for it."""

    executor: ProcessPoolExecutor
    count: int

    @classmethod
    def start(cls, count: int) -> "Helpers":
        executor = ProcessPoolExecutor(count, mp_context=get_context("spawn"))
        for _ in range(count):
            executor.submit(_warm)  # each starts and imports the app at once
        return cls(executor, count)

    def close(self) -> None:
        """Stop them; a chunk still waiting is not started, one under way is finished."""
        self.executor.shutdown(wait=True, cancel_futures=True)


def start_helpers() -> Helpers | None:
    """Helpers for a rebuild expected soon (an import's, after a big file), or None on
    one core.  Started now, they import the app while the caller reads its file; the
    caller passes them to :func:`rebuild_summaries` and closes them after."""
    count = _processes() - 1  # this process is the other one
    return Helpers.start(count) if count else None


def _processes() -> int:
    """How many processes a big rebuild uses: one a core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def _default_workers(todo: int) -> int:
    return 1 if todo < PARALLEL_FROM else _processes()


def rebuild_summaries(
    *,
    engine: Engine,
    child_ids: Iterable[int] | None = None,
    as_of: date | None = None,
    force: bool = False,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    helpers: Helpers | None = None,
) -> int:
    """Rebuild the journey summaries of ``child_ids`` (every child when None).

    Children whose events hash as before are skipped unless ``force``.  ``as_of``
    only serves to build the graphs (nothing stored depends on it) and defaults to
    today.  ``workers`` > 1 hands the chunks of ``CHUNK`` children to that many
    processes, each chunk read, built and written by the process that takes it (by
    default only for rebuilds of more than ``PARALLEL_FROM`` children, on a machine
    with more than one core; this process is one of them).  ``helpers`` (from
    :func:`start_helpers`) are used instead of starting processes, and left running.
    Returns how many summaries were written.
    """
    as_of = as_of or date.today()
    ids = None if child_ids is None else sorted(set(child_ids))
    if ids is not None and not ids:
        return 0
    with engine.connect() as conn:
        history = history_start(conn)
        if ids is not None and _history_moved(conn, history):
            ids = None  # every child's re-referral findings may change: rebuild them all
        chunks, todo = _chunks(conn, ids)
    n_workers = min(workers or _default_workers(todo), len(chunks))
    total = 0

    def report(done: int) -> None:
        if progress:
            progress(f"Rebuilt {done:,} journeys")

    def here(part: _Part) -> None:
        nonlocal total
        written = _rebuild_chunk(engine, part, as_of=as_of, history=history, force=force)
        total += written
        if written:
            report(total)

    if (helpers is None or len(chunks) < 2) and n_workers <= 1:
        for part in chunks:
            here(part)
        return total
    # This process is one of the workers, and starts one process fewer.  A thread hands
    # each helper its next chunk the moment it finishes one, so no helper waits for this
    # process, and at the end nobody holds more than the chunk under way.
    url = engine.url.render_as_string(hide_password=False)
    own = helpers is None
    pool = Helpers.start(n_workers - 1) if own else helpers
    parts = iter(chunks)
    lock = threading.Lock()
    finished: list = []  # the helpers' futures, done
    stop = threading.Event()

    def take() -> _Part | None:
        with lock:
            return None if stop.is_set() else next(parts, None)

    def submit(part: _Part):
        return pool.executor.submit(_rebuild_in_worker, url, part, as_of, history, force)

    def feed() -> None:
        running = {submit(p) for _ in range(pool.count) if (p := take()) is not None}
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            with lock:
                finished.extend(done)
            for future in done:
                if future.exception() is not None:
                    stop.set()
                elif (part := take()) is not None:
                    running.add(submit(part))

    def collect() -> None:
        nonlocal total
        with lock:
            done, finished[:] = list(finished), []
        for future in done:
            written = future.result()  # a helper's error is raised here
            total += written
            if written:
                report(total)

    feeder = threading.Thread(target=feed, name="rebuild-feeder", daemon=True)
    feeder.start()
    try:
        while (part := take()) is not None:
            here(part)
            collect()
    except BaseException:
        stop.set()
        raise
    finally:
        feeder.join()
        if own:
            pool.close()
    collect()
    return total
