"""Measured work run in a child process, so one step's memory cannot colour the next.

``python -m bench.worker JSON`` runs one job (``import``, ``floor``, ``rebuild`` or
``serve``) described by the JSON argument and prints its result as one JSON line, with
its own peak resident memory (``VmHWM``; ``os.wait4``'s figure where /proc is missing).
"""

import cProfile
import json
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["run_worker", "start_server"]

ROOT = Path(__file__).resolve().parent.parent


def run_worker(job: dict, *, log: Path, timeout: float | None = None) -> dict:
    """Run ``job`` in a fresh interpreter; its JSON result plus ``peak_kib`` (max RSS)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", json.dumps(job)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-800:]
        raise RuntimeError(f"worker {job['job']} exited {proc.returncode}: {tail}")
    result = json.loads(out.strip().splitlines()[-1])
    # The child's own high-water mark (VmHWM) when it could read it: ru_maxrss of a child
    # also counts the parent's memory at the fork, before the exec.
    result["peak_kib"] = result.get("vm_hwm_kib") or usage.ru_maxrss  # KiB on Linux
    return result


def start_server(url: str, port: int, *, log: Path) -> subprocess.Popen:
    """The app under gunicorn (with ``gunicorn.conf.py`` when present) or waitress."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-only-not-a-secret",
        "FRONTDOOR_SECURE_COOKIES": "0",
    }
    conf = ROOT / "gunicorn.conf.py"
    if conf.exists():
        command = [
            sys.executable, "-m", "gunicorn", "-c", str(conf), "--bind", f"127.0.0.1:{port}",
            "audit_app:create_app()",
        ]  # fmt: skip
    else:
        command = [sys.executable, "-m", "bench.worker", json.dumps({"job": "serve", "port": port})]
    with log.open("w") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=handle)


def _schema_rows(engine, table: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def _cpu() -> float:
    """CPU seconds of this process and of its helper processes that have ended."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + helpers.ru_utime + helpers.ru_stime


def _timed(path: str | None, func) -> tuple:
    """``func()``, its wall-clock seconds and its CPU seconds (helpers included), over
    the same window: not the worker's own start (importing the app, say)."""
    started, cpu_started = time.perf_counter(), _cpu()
    result = _profiled(path, func)
    return result, time.perf_counter() - started, _cpu() - cpu_started


def _profiled(path: str | None, func):
    if not path:
        return func()
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        return func()
    finally:
        profiler.disable()
        profiler.dump_stats(path)


def _import(job: dict) -> dict:
    from audit_app.db import make_engine
    from audit_app.imports import run_import

    engine = make_engine(job["url"])
    result, elapsed, cpu = _timed(
        job.get("profile"),
        lambda: run_import(Path(job["path"]), engine=engine, file_format=job["format"]),
    )
    report = result.report or {}
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "status": result.status,
        "message": result.message,
        "rows_read": (report.get("rows") or {}).get("read", 0),
        "rows_rejected": (report.get("rows") or {}).get("rejected", 0),
        "changed_children": len(result.changed_children),
        "children": _schema_rows(engine, "child"),
        "events": _schema_rows(engine, "event"),
        "summaries": _schema_rows(engine, "journeysummary"),
    }


def _floor(job: dict) -> dict:
    import warnings

    import openpyxl

    def read() -> int:
        rows = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(job["path"], read_only=True, data_only=True)
            for ws in workbook.worksheets:
                ws.reset_dimensions()
                for _ in ws.iter_rows(values_only=True):
                    rows += 1
            workbook.close()
        return rows

    def read_as_the_import_does() -> int:  # calamine after its safety scan (or openpyxl)
        from audit_app.imports.workbooks import workbook_tables

        return sum(1 for _, rows in workbook_tables(Path(job["path"])) for _ in rows)

    reader = read_as_the_import_does if job.get("reader") == "app" else read
    rows, elapsed, cpu = _timed(job.get("profile"), reader)
    return {"seconds": elapsed, "cpu_seconds": cpu, "rows": rows}


def _rebuild(job: dict) -> dict:
    from audit_app.db import make_engine, refresh_statistics
    from audit_app.summaries import rebuild_summaries

    engine = make_engine(job["url"])
    kwargs = {"engine": engine, "force": bool(job.get("force"))}
    written, elapsed, cpu = _timed(job.get("profile"), lambda: rebuild_summaries(**kwargs))
    if written:  # as `frontdoor rebuild-journeys` does (PostgreSQL), untimed
        refresh_statistics(engine)
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "written": written if isinstance(written, int) else None,
        "summaries": _schema_rows(engine, "journeysummary"),
    }


def _serve(job: dict) -> None:
    import waitress

    from audit_app import create_app

    app = create_app()
    waitress.serve(app, host="127.0.0.1", port=job["port"], threads=8, _quiet=True)


JOBS = {"import": _import, "floor": _floor, "rebuild": _rebuild}


def _vm_hwm_kib() -> int | None:
    """Peak resident memory of this process since its exec (Linux), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _status_kib(pid: int | str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                children = Path(f"/proc/{current}/task/{tid}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


class TreeSampler:
    """The largest resident memory of this process and its helpers together, sampled.

    A job may start worker processes (the journey rebuild does for a large authority);
    their memory counts against the machine too, but not in this process's VmHWM.
    """

    def __init__(self, every: float = 0.2):
        import threading

        self.every, self.peak, self.helpers = every, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            others = _descendants(me)
            self.helpers = max(self.helpers, len(others))
            total = _status_kib(me, "VmRSS:") + sum(_status_kib(p, "VmRSS:") for p in others)
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main() -> None:
    job = json.loads(sys.argv[1])
    if job["job"] == "serve":
        _serve(job)
        return
    cpu_started = _cpu()
    with TreeSampler() as tree:
        result = JOBS[job["job"]](job)
    # The job's CPU is over its measured window; the whole worker's is kept beside it.
    result["process_cpu_seconds"] = _cpu() - cpu_started
    result.setdefault("cpu_seconds", result["process_cpu_seconds"])
    result["vm_hwm_kib"] = _vm_hwm_kib()
    result["tree_peak_kib"] = max(tree.peak, result["vm_hwm_kib"] or 0)
    result["helpers"] = tree.helpers
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
