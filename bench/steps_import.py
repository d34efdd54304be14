"""Steps 1 and 2: end-to-end imports in child processes, and the openpyxl reading floor.

Each import run gets a fresh database and its own interpreter; its peak resident memory
comes from ``os.wait4``.  The CSV import runs last, so its database (the whole
authority, six years) is the one the later steps use.
"""

from .database import fresh_schema, sibling_url
from .harness import Row, median, megabytes, memory, runs_label, seconds, verdict
from .worker import run_worker

__all__ = ["imports", "floor", "ensure_loaded"]

GIB_KIB = 1024 * 1024


def _formats(files) -> list[tuple[str, str, object, str]]:
    """(format, label, path, database suffix), the CSV last."""
    return [
        ("annex-a", "1 import Annex A workbook (.xlsx, Lists 1-8)", files.annex_a, "annex"),
        (
            "cin-census",
            "1 import CIN census XML (extra: not in the issue)",
            files.cin_census,
            "cin",
        ),  # fmt: skip
        ("csv", "1 import app CSV (children.csv + events.csv)", files.csv_dir, ""),
    ]


def _import_once(
    ctx, url: str, fmt: str, path, tag: str, *, fresh: bool = True, profile: bool = False
) -> dict:
    if fresh:
        fresh_schema(url)
    job = {"job": "import", "url": url, "path": str(path), "format": fmt}
    if profile:  # an extra, untimed run: cProfile slows what it watches
        job["profile"] = str(ctx.profile_path(f"import-{fmt}-{tag}"))
    result = run_worker(job, log=ctx.workdir / "logs" / f"import-{fmt}-{tag}.log")
    if result["status"] != "committed":
        raise RuntimeError(f"{fmt} import {result['status']}: {result['message']}")
    return result


def _describe(runs: list[dict]) -> tuple[str, float, float]:
    secs = median([r["seconds"] for r in runs])
    mem_text, peak = memory(runs)
    last = runs[-1]
    rate = last["rows_read"] / secs if secs else 0.0
    rebuilt = (
        f"journey summaries rebuilt by the import: {last['summaries']:,}"
        if last["summaries"]
        else "journey summaries not rebuilt by the import (not hooked in yet)"
    )
    cpu = median([r.get("cpu_seconds", 0.0) for r in runs])
    text = (
        f"{seconds(secs)} (CPU {seconds(cpu)}); {last['rows_read']:,} rows "
        f"({last['rows_rejected']:,} rejected), "
        f"{rate:,.0f} rows/s; {mem_text}; loaded {last['children']:,} "
        f"children, {last['events']:,} events; {rebuilt}"
    )
    return text, secs, peak


def imports(ctx, db) -> list[Row]:
    files = ctx.files
    n = ctx.options.import_runs
    rows = []
    for fmt, label, path, suffix in _formats(files):
        if fmt == "cin-census" and not ctx.options.extras:
            continue
        url = sibling_url(db.url, suffix) if suffix else db.url
        if ctx.options.profile:
            _import_once(ctx, url, fmt, path, db.kind, profile=True)
        runs = [_import_once(ctx, url, fmt, path, f"{db.kind}-{i}") for i in range(n)]
        text, secs, peak = _describe(runs)
        if fmt == "annex-a":
            db.annex_seconds = secs
            db.annex_cpu = median([r.get("cpu_seconds", 0.0) for r in runs])
        rows.append(Row(label, db.label, text, runs_label(n), "peak memory < 1 GB",
                        verdict(peak < GIB_KIB)))  # fmt: skip
    db.loaded = True
    if not ctx.options.extras:
        return rows
    again = _import_once(ctx, db.url, "csv", files.csv_dir, f"{db.kind}-again", fresh=False)
    if ctx.options.profile:
        _import_once(ctx, db.url, "csv", files.csv_dir, f"{db.kind}-again", fresh=False,
                     profile=True)  # fmt: skip
    mem_text, peak = memory([again])
    rows.append(
        Row(
            "1 re-import the same CSV (nothing changes)",
            db.label,
            f"{seconds(again['seconds'])}; children whose events changed: "
            f"{again['changed_children']:,} (should be 0); {mem_text}",
            "1 run",
            "peak memory < 1 GB",
            verdict(peak < GIB_KIB and again["changed_children"] == 0),
        )
    )
    return rows


def ensure_loaded(ctx, db, *, summaries: bool = False) -> None:
    """Load the CSV import (untimed) when the import step was skipped; build summaries."""
    if not db.loaded:
        _import_once(ctx, db.url, "csv", ctx.files.csv_dir, f"{db.kind}-setup")
        db.loaded = True
    if summaries and not db.summaries_checked:
        from sqlalchemy import func, select

        from audit_app.models import JourneySummary

        with db.engine.connect() as conn:
            built = conn.execute(select(func.count()).select_from(JourneySummary)).scalar_one()
        if not built:
            from audit_app.summaries import rebuild_summaries

            rebuild_summaries(engine=db.engine)
        db.summaries_checked = True


#: The most seconds per CPU second of a measurement taken on a quiet machine.
QUIET = 1.15


def floor(ctx, db) -> list[Row]:
    if ctx.floor is None:
        runs = []
        job = {"job": "floor", "path": str(ctx.files.annex_a)}
        if ctx.options.profile:
            run_worker({**job, "profile": str(ctx.profile_path("floor-openpyxl"))},
                       log=ctx.workdir / "logs" / "floor-profile.log")  # fmt: skip
        for i in range(max(1, ctx.options.repeat)):
            runs.append(run_worker(job, log=ctx.workdir / "logs" / f"floor-{i}.log"))
        ctx.floor = {
            "seconds": median([r["seconds"] for r in runs]),
            "cpu": median([r.get("cpu_seconds", 0.0) for r in runs]),
            "rows": runs[0]["rows"],
            "peak_kib": max(r["peak_kib"] for r in runs),
            "runs": len(runs),
        }
        ours = run_worker({**job, "reader": "app"}, log=ctx.workdir / "logs" / "floor-app.log")
        ctx.floor["app"] = ours
    f = ctx.floor
    ours = f["app"]
    text = (
        f"reading {f['rows']:,} rows: {seconds(f['seconds'])} (CPU {seconds(f['cpu'])}) "
        f"({f['rows'] / f['seconds']:,.0f} rows/s, peak memory {megabytes(f['peak_kib'])}); "
        f"the import's own reader (calamine after its safety scan) reads "
        f"{ours['rows']:,} rows in {seconds(ours['seconds'])} "
        f"(CPU {seconds(ours.get('cpu_seconds', 0.0))}, peak memory "
        f"{megabytes(ours['peak_kib'])})"
    )
    if db.annex_seconds is None:
        return [Row("2 floor: openpyxl read-only, values only", db.label,
                    text + "; ratio needs the import step", runs_label(f["runs"]),
                    "import / floor <= 1.5", "")]  # fmt: skip
    ratio = db.annex_seconds / f["seconds"]
    cpu_ratio = (db.annex_cpu or 0.0) / f["cpu"] if f["cpu"] else float("nan")
    # Seconds, as the target is stated, but only from a quiet machine: one process's
    # work takes about its CPU time, and load stretches the seconds past it.  (The
    # import's CPU also counts its helper process, and on SQLite the database's own
    # work, which PostgreSQL does in its server: the CPU ratio is shown, not judged.)
    quiet = f["seconds"] <= QUIET * f["cpu"] and db.annex_seconds <= QUIET * (db.annex_cpu or 0)
    return [
        Row(
            "2 floor: openpyxl read-only, values only",
            db.label,
            f"{text}; Annex A import {seconds(db.annex_seconds)}: import / floor = {ratio:.2f} "
            f"(in CPU time {cpu_ratio:.2f}); judged on the seconds when neither took more "
            f"than {QUIET:.2f} times its CPU time"
            + ("" if quiet else ": one did, the machine was loaded, so not judged"),
            runs_label(f["runs"]),
            "import / floor <= 1.5",
            verdict(ratio <= 1.5) if quiet else "not judged",
        )
    ]
