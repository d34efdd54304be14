"""The runner: options, one row per measured step, the markdown table and ``RESULTS.md``.

Each step is a function ``(ctx, db) -> list[Row]`` in one of the ``steps_*`` modules.  A
step that needs a feature that has not landed raises :class:`NotAvailable` and its row
says so; any other exception becomes an "error" row (and a traceback on stderr), never a
crash of the whole run.
"""

import cProfile
import io
import pstats
import shlex
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "STEP_IDS",
    "NotAvailable",
    "Options",
    "Row",
    "Context",
    "Database",
    "run",
    "median",
    "memory",
    "seconds",
    "megabytes",
]

ROOT = Path(__file__).resolve().parent.parent


class NotAvailable(Exception):
    """The step cannot run yet (its module or route has not landed); the message says why."""


@dataclass
class Options:
    children: int = 150_000
    seed: int = 1
    databases: list[str] = field(default_factory=list)  # empty: one SQLite file in workdir
    repeat: int = 3
    import_repeat: int | None = None  # None: ``repeat`` up to 20,000 children, then 1
    requests: int = 200
    clients: int = 20
    out: Path | None = ROOT / "bench" / "RESULTS.md"
    workdir: Path = Path(tempfile.gettempdir()) / "frontdoor-bench"
    steps: tuple[str, ...] = ()  # empty: every step
    skip: tuple[str, ...] = ()
    profile: bool = False
    reuse: bool = False  # the databases already hold this authority's CSV import
    extras: bool = True  # the CIN census import and the unchanged re-import
    command: str = ""

    @property
    def import_runs(self) -> int:
        if self.import_repeat is not None:
            return max(1, self.import_repeat)
        return self.repeat if self.children <= 20_000 else 1


@dataclass
class Row:
    step: str
    database: str
    result: str
    runs: str
    target: str = ""
    verdict: str = ""  # met, missed, not available, error, or blank (no target)


@dataclass
class Database:
    """One database under test and what the earlier steps left in it."""

    url: str
    label: str = ""
    kind: str = "SQLite"
    loaded: bool = False  # holds the CSV import (the full authority)
    annex_seconds: float | None = None
    annex_cpu: float | None = None
    summaries_checked: bool = False
    _engine: object = None
    _app: object = None

    @property
    def engine(self):
        if self._engine is None:
            from audit_app.db import make_engine

            self._engine = make_engine(self.url)
        return self._engine

    def app(self):
        """The Flask app on this database, created once (after the data are loaded)."""
        if self._app is None:
            from audit_app import create_app

            self._app = create_app(
                {
                    "DATABASE_URL": self.url,
                    "SECRET_KEY": "bench-only-not-a-secret",
                    "SESSION_COOKIE_SECURE": False,
                }
            )
        return self._app

    def dispose(self) -> None:
        for holder in (self._engine, self._app and self._app.extensions["frontdoor_engine"]):
            if holder is not None:
                holder.dispose()
        self._engine = None
        self._app = None


@dataclass
class Context:
    options: Options
    files: object = None  # bench.data.AuthorityFiles, built by the "generate" step
    floor: dict | None = None
    errors: list[str] = field(default_factory=list)
    profiles: list[Path] = field(default_factory=list)

    @property
    def workdir(self) -> Path:
        return self.options.workdir

    def profile_path(self, name: str) -> Path | None:
        if not self.options.profile:
            return None
        folder = self.workdir / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.prof"
        self.profiles.append(path)
        return path

    def profiled(self, name: str, func: Callable[[], object]) -> object:
        """Run ``func`` under cProfile when ``--profile`` is on (after the timed runs)."""
        path = self.profile_path(name)
        if path is None:
            return None
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            return func()
        finally:
            profiler.disable()
            profiler.dump_stats(path)


def median(values: list[float]) -> float:
    return statistics.median(values)


def seconds(value: float) -> str:
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:,.1f} s" if value < 100 else f"{value:,.0f} s"


def megabytes(kib: float) -> str:
    return f"{kib / 1024:,.0f} MB"


def memory(runs: list[dict]) -> tuple[str, float]:
    """Peak memory of worker runs: the process, and with its helper processes if it had any.

    Returns the text and the figure a target is judged on (the larger, all processes).
    """
    own = max(r["peak_kib"] for r in runs)
    tree = max(r.get("tree_peak_kib") or r["peak_kib"] for r in runs)
    helpers = max(r.get("helpers") or 0 for r in runs)
    if not helpers:
        return f"peak memory {megabytes(own)}", own
    return (
        f"peak memory {megabytes(own)} (with its {helpers} helper processes "
        f"{megabytes(tree)}, sampled)",
        max(own, tree),
    )


def runs_label(n: int) -> str:
    return "1 run" if n == 1 else f"median of {n}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _steps() -> list[tuple[str, str, str, Callable]]:
    """(id, label, target, function), in the issue's order."""
    from . import steps_data, steps_import, steps_journeys, steps_pages, steps_reports

    return [
        ("generate", "0 synthetic authority (generate and write files)", "", steps_data.generate),
        ("import", "1 import, end to end", "peak memory < 1 GB", steps_import.imports),
        ("floor", "2 floor: openpyxl read-only", "import / floor <= 1.5", steps_import.floor),
        ("rebuild", "3 rebuild every journey and summary", "< 60 s", steps_journeys.rebuild),
        (
            "journey",
            "3b build_journey, one 200-event journey",
            "< 5 ms",
            steps_journeys.one_journey,
        ),
        ("indicators", "4 indicators for 12 months", "< 1 s", steps_reports.indicators),
        ("cohort", "5 cohort frame + stratified draw of 50", "< 0.5 s", steps_reports.cohort),
        ("pages", "6 pages in-process (Flask test client)", "p95 < 100 ms", steps_pages.in_process),
        (
            "server",
            "7 pages through a WSGI server, 20 clients",
            "p95 < 500 ms, no errors",
            steps_pages.server,
        ),  # fmt: skip
        ("sef", "8 SEF .docx export", "< 5 s", steps_reports.sef_docx),
    ]


STEP_IDS = ("generate", "import", "floor", "rebuild", "journey", "indicators", "cohort", "pages",
            "server", "sef")  # fmt: skip

#: Steps run once, not per database.
_ONCE = {"generate", "journey"}


def _databases(options: Options) -> list[Database]:
    urls = options.databases or [f"sqlite:///{options.workdir / 'sqlite' / 'bench.sqlite3'}"]
    return [Database(url=url, kind="SQLite" if url.startswith("sqlite") else "PostgreSQL",
                     loaded=options.reuse) for url in urls]  # fmt: skip


def _run_step(ctx: Context, sid: str, label: str, target: str, func, db) -> list[Row]:
    where = db.label if db is not None else "-"
    started = time.perf_counter()
    print(f"[bench] {label} on {where} ...", file=sys.stderr, flush=True)
    try:
        rows = func(ctx, db)
    except NotAvailable as reason:
        rows = [Row(label, where, f"not available: {reason}", "-", target, "not available")]
    except Exception as error:  # a step's failure is a row, not the end of the run
        detail = f"{type(error).__name__}: {error}".replace("\n", " ")[:300]
        ctx.errors.append(f"{label} on {where}: {detail}")
        traceback.print_exc()
        rows = [Row(label, where, f"error: {detail}", "-", target, "error")]
    print(
        f"[bench] ... {label} done in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    for row in rows:  # as they come, so a long run that is stopped still shows its figures
        print(f"[bench] | {row.step} | {row.database} | {row.result} | {row.verdict} |",
              file=sys.stderr, flush=True)  # fmt: skip
    return rows


def _interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(options: Options) -> tuple[str, list[Row], list[str], list[Path]]:
    """Run the chosen steps: (the markdown section, its rows, errors, profile files)."""
    from . import machine

    options.workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(options)
    databases = _databases(options)
    for db in databases:
        db.label = machine.database_label(db.url)
    wanted = [s for s in STEP_IDS if (not options.steps or s in options.steps)]
    wanted = [s for s in wanted if s not in options.skip]
    if "generate" not in wanted:
        wanted.insert(0, "generate")  # every other step needs the files
    rows: list[Row] = []
    started = datetime.now(UTC)
    load_at_start = machine.load_average()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        for sid, label, target, func in _steps():
            if sid not in wanted:
                continue
            if sid in _ONCE:
                rows += _run_step(ctx, sid, label, target, func, None)
                continue
            for db in databases:
                rows += _run_step(ctx, sid, label, target, func, db)
    except KeyboardInterrupt as stop:  # the table so far is still worth writing
        rows.append(Row(f"(run stopped here: {stop or 'interrupted'})", "-", "", "-"))
        ctx.errors.append("the run was stopped before every step had run")
    finally:
        signal.signal(signal.SIGTERM, previous)
    for db in databases:
        db.dispose()
    section = render(
        options, rows, machine.describe(databases, load_at_start=load_at_start), started, ctx
    )
    return section, rows, ctx.errors, [p for p in ctx.profiles if p.exists()]


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(options: Options, rows: list[Row], machine_lines: list[str], started, ctx) -> str:
    lines = [
        f"## {started:%Y-%m-%d %H:%M} UTC: {options.children:,} children, seed {options.seed}",
        "",
        *[f"- {line}" for line in machine_lines],
        f"- Command: `{options.command or 'python -m bench'}`",
        f"- Import steps and the full rebuild: {runs_label(options.import_runs)} each (a fresh "
        "database per import run, each measured in a child process); other steps: "
        f"{runs_label(options.repeat)} unless the row says otherwise.",
        "",
        "| step | database | result | runs | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            "| "
            + " | ".join(
                _cell(v)
                for v in (row.step, row.database, row.result, row.runs, row.target, row.verdict)
            )
            + " |"
        )
    if ctx.profiles:
        lines += ["", "Profiles (cProfile, top functions by cumulative time):", ""]
        for path in ctx.profiles:
            if path.exists():
                lines.append(f"- `{path}`")
    lines.append("")
    return "\n".join(lines)


def profile_summary(path: Path, limit: int = 25) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(str(path), stream=buffer)
    stats.sort_stats("cumulative").print_stats(limit)
    return buffer.getvalue()


def write_results(path: Path, section: str) -> None:
    """Add ``section`` to ``path`` (newest first under a "# Runs" heading, else at the end)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        preface = (
            "# Benchmark results\n\n"
            "Written by `python -m bench` (see `bench/__main__.py` for the options). Each "
            "section is one run: the machine, the command, and per step the median of its "
            "runs against each target of issue [bench]. Appended, newest last. Timings on a shared "
            "machine vary with what else runs: the load average at the start is recorded.\n\n"
        )
        path.write_text(preface, encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    heading = text.find("\n# Runs")
    if heading < 0:  # no runs heading: append
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n" + section)
        return
    # Under the "# Runs (newest first)" heading of a hand-edited RESULTS.md.
    cut = text.index("\n", heading + 1) + 1
    path.write_text(text[:cut] + "\n" + section + text[cut:], encoding="utf-8")


def command_line(argv: list[str]) -> str:
    return "python -m bench " + " ".join(shlex.quote(a) for a in argv)
