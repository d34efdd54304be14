"""Steps 4, 5 and 8: indicators (and the pandas cross-check), cohort and draw, SEF .docx."""

import importlib
import importlib.util
import time
from datetime import date, timedelta

from .harness import NotAvailable, Row, median, runs_label, seconds, verdict
from .steps_import import ensure_loaded

__all__ = ["indicators", "cohort", "sef_docx", "period", "flatten", "compare"]


def _module(name: str, what: str):
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        raise NotAvailable(f"{name.replace('.', '/')}.py ({what}) has not landed")
    return importlib.import_module(name)


def _function(module, *names: str):
    for name in names:
        if callable(getattr(module, name, None)):
            return getattr(module, name)
    raise NotAvailable(f"{module.__name__} has no {' or '.join(names)} yet")


def period(end: date) -> tuple[date, date]:
    """The 12 months ending on ``end`` (the authority's last day of data)."""
    start = date(end.year - 1, end.month, min(end.day, 28)) + timedelta(days=1)
    if end.day > 28:
        start = date(end.year - 1, end.month, 1) + timedelta(days=end.day)
    return start, end


def _timed(repeat: int, func) -> tuple[float, object, float]:
    """Median wall-clock seconds, the last result, median CPU seconds of this process."""
    times, cpu, result = [], [], None
    for _ in range(max(1, repeat)):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return median(times), result, median(cpu)


def clock(wall: float, cpu: float) -> str:
    """Wall-clock time, with this process's CPU time (less moved by a busy machine)."""
    return f"{seconds(wall)} (CPU {seconds(cpu)})"


def flatten(value, prefix: str = "") -> dict[str, object]:
    """Nested indicator results as ``{"referrals.value": 12, ...}`` for comparison."""
    if hasattr(value, "__dataclass_fields__"):
        value = {k: getattr(value, k) for k in value.__dataclass_fields__}
    elif hasattr(value, "model_dump"):
        value = value.model_dump()
    elif hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list | tuple):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
        except (TypeError, ValueError):
            return False
    return a == b


def compare(ours: dict, theirs: dict) -> list[str]:
    """Keys present in both whose values differ, and keys present in only one."""
    a, b = flatten(ours), flatten(theirs)
    differing = [k for k in sorted(a.keys() & b.keys()) if not _same(a[k], b[k])]
    only = sorted(a.keys() ^ b.keys())
    return differing + [f"{k} (only in {'ours' if k in a else 'pandas'})" for k in only]


def _as_dict(result) -> dict:
    if hasattr(result, "to_json"):
        result = result.to_json()
    if hasattr(result, "as_dict"):
        result = result.as_dict()
    return result if isinstance(result, dict) else {"result": result}


def indicators(ctx, db) -> list[Row]:
    from sqlmodel import Session

    mod = _module("audit_app.reports.indicators", "compute_indicators")
    compute = _function(mod, "compute_indicators")
    ensure_loaded(ctx, db)
    start, end = period(ctx.files.end)

    def ours():
        with Session(db.engine) as session:
            return compute(session=session, start=start, end=end)

    ours()  # warm the connection pool and any caches
    secs, result, cpu = _timed(ctx.options.repeat, ours)
    ctx.profiled(f"indicators-{db.kind}", ours)
    ours_dict = _as_dict(result)
    rows = [
        Row(
            "4 indicators for 12 months (compute_indicators)",
            db.label,
            f"{clock(secs, cpu)} for {start:%d/%m/%Y}-{end:%d/%m/%Y}: "
            f"{len(flatten(ours_dict)):,} figures",
            runs_label(max(1, ctx.options.repeat)),
            "< 1 s",
            verdict(secs < 1),
        )
    ]
    rows.append(_pandas(ctx, db, start, end, ours_dict, secs))
    return rows


def _pandas(ctx, db, start, end, ours: dict, our_secs: float) -> Row:
    label = "4b bench/pandas_reference.py: same indicators with pandas"
    target = "ours no slower; identical numbers"
    try:
        ref = _module("bench.pandas_reference", "pandas reference")
        compute = _function(ref, "reference_indicators")
    except NotAvailable as reason:
        return Row(label, db.label, f"not available: {reason}", "-", target, "not available")
    except ImportError as error:  # pandas itself missing
        return Row(label, db.label, f"not available: {error}", "-", target, "not available")
    from audit_app.calendar import bank_holidays

    holidays = bank_holidays()
    folder = ctx.files.csv_dir  # the CSV the database was imported from
    secs, theirs, _cpu = _timed(
        ctx.options.repeat, lambda: compute(folder, start, end, holidays=holidays)
    )
    differences = ref.compare(ours, theirs) if hasattr(ref, "compare") else compare(ours, theirs)
    compared = len(getattr(ref, "COMPARED", ())) or len(flatten(theirs))
    match = (
        f"MATCH ({compared} indicators: value, numerator, denominator)"
        if not differences
        else f"MISMATCH ({len(differences)}): " + "; ".join(differences[:8])
    )
    return Row(
        label,
        db.label,
        f"pandas {seconds(secs)} (reading the CSV included) against ours {seconds(our_secs)}: "
        f"ours / pandas = {our_secs / secs:.2f}; {match}",
        runs_label(max(1, ctx.options.repeat)),
        target,
        verdict(our_secs <= secs and not differences),
    )


def cohort(ctx, db) -> list[Row]:
    from sqlmodel import Session

    mod = _module("audit_app.audits.cohort", "cohort rules and the draw")
    draw = _function(mod, "draw_sample")
    parse = _function(mod, "parse_rules")
    ensure_loaded(ctx, db, summaries=True)
    start, end = period(ctx.files.end)
    rows = []
    for label, raw in (
        ("referrals in the 12 months", {"event": "referral", "from": start.isoformat(),
                                       "to": end.isoformat()}),
        ("domestic abuse factors (3A-3C), any time", {"factors": ["3A", "3B", "3C"]}),
    ):  # fmt: skip
        rules = parse(raw)

        def once(rules=rules):
            with Session(db.engine) as session:
                return draw(rules, session=session, as_of=end, n=50, seed=ctx.options.seed,
                            method="stratified", by="team")  # fmt: skip

        once()
        secs, drawn, cpu = _timed(ctx.options.repeat, once)
        ctx.profiled(f"cohort-{db.kind}-{len(rows)}", once)
        sampled, frame = len(drawn.result.sample), drawn.result.frame_size
        rows.append(
            Row(
                f"5 cohort frame + stratified draw of 50 ({label})",
                db.label,
                f"{clock(secs, cpu)}: frame of {frame:,} children, {sampled} drawn "
                "by team in proportion",
                runs_label(max(1, ctx.options.repeat)),
                "< 0.5 s",
                verdict(secs < 0.5),
            )
        )
    return rows


def sef_docx(ctx, db) -> list[Row]:
    from datetime import UTC, datetime

    from sqlmodel import Session

    exports = _module("audit_app.reports.exports", "SEF exports")
    docx_bytes = _function(exports, "docx_bytes")
    workspace = _module("audit_app.reports.workspace", "SEF workspace")
    quality = _module("audit_app.reports.quality", "SEF scope")
    ensure_loaded(ctx, db, summaries=True)
    start, end = period(ctx.files.end)
    scope = quality.Scope(start=start, end=end)
    secret = b"bench-only-not-a-secret"

    def generated_doc():
        with Session(db.engine) as session:
            generated = workspace.generate(scope, session=session, secret=secret,
                                           now=datetime.now(UTC))  # fmt: skip
            return workspace.sef_document(generated, session=session)

    def whole():
        return docx_bytes(generated_doc())

    whole()
    secs, data, cpu = _timed(ctx.options.repeat, whole)
    doc = generated_doc()
    render_secs, _, _cpu = _timed(ctx.options.repeat, lambda: docx_bytes(doc))
    ctx.profiled(f"sef-docx-{db.kind}", whole)
    return [
        Row(
            "8 SEF .docx export (sections 5 and 8 computed, then the document)",
            db.label,
            f"{clock(secs, cpu)} ({len(data) / 1e3:,.0f} kB); of which writing the .docx "
            f"{seconds(render_secs)}",
            runs_label(max(1, ctx.options.repeat)),
            "< 5 s",
            verdict(secs < 5),
        )
    ]
