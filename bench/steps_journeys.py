"""Step 3: rebuild every journey and summary; build one 200-event journey."""

import dataclasses
import importlib.util
import time
from datetime import date, timedelta

from .harness import NotAvailable, Row, median, memory, runs_label, seconds, verdict
from .steps_import import ensure_loaded
from .worker import run_worker

__all__ = ["rebuild", "one_journey", "long_journey"]


def _has(module: str, name: str) -> bool:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return False
    if spec is None:
        return False
    return hasattr(importlib.import_module(module), name)


def rebuild(ctx, db) -> list[Row]:
    if not _has("audit_app.summaries", "rebuild_summaries"):
        raise NotAvailable("audit_app/summaries.py: rebuild_summaries has not landed")
    ensure_loaded(ctx, db)
    runs = []
    job = {"job": "rebuild", "url": db.url, "force": True}
    if ctx.options.profile:  # an extra, untimed run
        run_worker({**job, "profile": str(ctx.profile_path(f"rebuild-{db.kind}"))},
                   log=ctx.workdir / "logs" / f"rebuild-{db.kind}-profile.log")  # fmt: skip
    for i in range(ctx.options.import_runs):  # a big step: as many runs as the imports
        runs.append(run_worker(job, log=ctx.workdir / "logs" / f"rebuild-{db.kind}-{i}.log"))
    secs = median([r["seconds"] for r in runs])
    n = runs[-1]["written"] or runs[-1]["summaries"]
    mem_text, _ = memory(runs)
    again = run_worker({"job": "rebuild", "url": db.url},
                       log=ctx.workdir / "logs" / f"rebuild-{db.kind}-unchanged.log")  # fmt: skip
    return [
        Row(
            "3 rebuild every journey and summary (rebuild_summaries, force)",
            db.label,
            f"{seconds(secs)} (CPU {seconds(median([r.get('cpu_seconds', 0.0) for r in runs]))}, "
            f"all processes) for {n:,} children ({n / secs:,.0f} children/s); {mem_text}",
            runs_label(len(runs)),
            "< 60 s",
            verdict(secs < 60),
        ),
        Row(
            "3 rebuild again, nothing changed (hashes match: skipped)",
            db.label,
            f"{seconds(again['seconds'])}; rewrote {again['written'] or 0:,} summaries",
            "1 run",
        ),
    ]


def _shift(value, delta: timedelta):
    if isinstance(value, date):
        return value + delta
    return value


def _shift_event(event, delta: timedelta):
    attrs = {k: _shift(v, delta) for k, v in event.attrs.items()}
    if isinstance(attrs.get("reviews"), str) and attrs["reviews"]:
        attrs["reviews"] = ",".join(
            (date.fromisoformat(d) + delta).isoformat() for d in attrs["reviews"].split(",") if d
        )
    return dataclasses.replace(
        event,
        start=event.start + delta,
        end=event.end + delta if event.end else None,
        attrs=attrs,
    )


def long_journey(seed: int, size: int = 200) -> list:
    """One child's ``size`` events: the longest synthetic journeys laid end to end in time.

    The generator's children have a handful of events each; a 200-event child is made by
    replaying the busiest children one after another (each episode after the last, a
    month apart), so the rules see a realistic if unlucky life of many referrals.
    """
    from seed_cases.generator import generate

    cases = sorted(generate(3000, seed).iter_cases(), key=lambda c: -len(c.events))
    events: list = []
    cursor = date(2001, 1, 8)
    for case in cases:
        first = min(e.start for e in case.events)
        last = max((e.end or e.start) for e in case.events)
        delta = cursor - first
        for event in sorted(case.events, key=lambda e: (e.start, e.kind)):
            if len(events) == size:
                return events
            events.append(_shift_event(event, delta))
        cursor = last + delta + timedelta(days=31)
    return events


def one_journey(ctx, _db) -> list[Row]:
    from audit_app.calendar import bank_holidays
    from journeys import build_journey, summarise_journey

    events = long_journey(ctx.options.seed)
    as_of = max((e.end or e.start) for e in events) + timedelta(days=1)
    holidays = bank_holidays()
    times, cpu, both = [], [], []
    runs = max(50, ctx.options.repeat)
    for i in range(runs + 5):
        started, cpu_started = time.perf_counter(), time.process_time()
        G = build_journey(events, as_of=as_of, holidays=holidays)
        built, cpu_built = time.perf_counter(), time.process_time()
        summarise_journey(G, holidays=holidays)
        done = time.perf_counter()
        if i >= 5:  # the first few warm caches
            times.append(built - started)
            cpu.append(cpu_built - cpu_started)
            both.append(done - started)
    ctx.profiled(
        "build-journey-200",
        lambda: [build_journey(events, as_of=as_of, holidays=holidays) for _ in range(20)],
    )
    secs = median(times)
    return [
        Row(
            "3b build_journey, one 200-event journey",
            "-",
            f"{seconds(secs)} (CPU {seconds(median(cpu))}; {G.number_of_nodes()} nodes, "
            f"{G.number_of_edges()} edges, "
            f"{as_of.year - events[0].start.year} years); with summarise_journey "
            f"{seconds(median(both))}",
            f"median of {runs}",
            "< 5 ms",
            verdict(secs < 0.005),
        )
    ]
