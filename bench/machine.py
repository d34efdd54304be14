"""What the benchmark ran on: processor, memory, Python, database versions, git commit."""

import os
import platform
import sqlite3
import subprocess
from pathlib import Path

__all__ = ["describe", "database_label", "load_average"]

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _commit() -> str:
    # A snapshot made with ``git archive`` (to time landed code only) names its commit here.
    marker = ROOT / ".bench-commit"
    if marker.exists():
        return marker.read_text().strip() + " (snapshot)"
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _postgres_version(url: str) -> str:
    try:
        from sqlalchemy import text

        from audit_app.db import make_engine

        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                return conn.execute(text("SHOW server_version")).scalar_one().split()[0]
        finally:
            engine.dispose()
    except Exception as error:  # the table says why instead of failing the run
        return f"unreachable ({type(error).__name__})"


def database_label(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    return f"PostgreSQL {_postgres_version(url)}"


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def describe(databases, *, load_at_start: str) -> list[str]:
    return [
        f"Machine: {os.cpu_count()} cores ({_cpu_model()}), {_memory()} memory, "
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}; databases: "
        + ", ".join(db.label for db in databases),
        f"Load average (1/5/15 min) at the start: {load_at_start}; at the end: "
        f"{load_average()} (the machine is shared)",
        f"Git commit: {_commit()}",
    ]
