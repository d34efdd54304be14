"""Step 0: the synthetic authority written as the app's CSV, an Annex A workbook and CIN XML.

The files are kept in the work folder per (children, seed), so a second run reuses them.
"""

import json
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .harness import Row, seconds

__all__ = ["AuthorityFiles", "generate", "authority_files"]


@dataclass
class AuthorityFiles:
    folder: Path
    children: int
    events: int
    end: date
    timings: dict

    @property
    def csv_dir(self) -> Path:
        return self.folder / "csv"

    @property
    def annex_a(self) -> Path:
        return self.folder / "annex-a.xlsx"

    @property
    def cin_census(self) -> Path:
        return self.folder / "cin-census.xml"


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def authority_files(workdir: Path, children: int, seed: int) -> tuple[AuthorityFiles, bool]:
    """The files for ``children`` and ``seed``, written now or found from an earlier run."""
    from seed_cases.annex_a import write_annex_a
    from seed_cases.cin_census import write_cin_census
    from seed_cases.csv_format import write_csv
    from seed_cases.generator import generate as describe_authority

    folder = workdir / f"authority-n{children}-s{seed}"
    marker = folder / "complete.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        return (
            AuthorityFiles(
                folder, meta["children"], meta["events"], date.fromisoformat(meta["end"]),
                meta["timings"],
            ),
            True,
        )  # fmt: skip
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    authority = describe_authority(children, seed)
    timings = {}
    started = time.perf_counter()
    write_csv(authority, folder / "csv")
    timings["csv"] = time.perf_counter() - started
    started = time.perf_counter()
    write_annex_a(authority, folder / "annex-a.xlsx")
    timings["annex_a"] = time.perf_counter() - started
    started = time.perf_counter()
    write_cin_census(authority, folder / "cin-census.xml")
    timings["cin_census"] = time.perf_counter() - started
    events = _count_lines(folder / "csv" / "events.csv") - 1
    meta = {
        "children": children,
        "events": events,
        "end": authority.end.isoformat(),
        "timings": timings,
    }
    marker.write_text(json.dumps(meta, indent=1))
    return AuthorityFiles(folder, children, events, authority.end, timings), False


def _size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size
    return f"{total / 1e6:,.1f} MB"


def generate(ctx, _db) -> list[Row]:
    options = ctx.options
    files, cached = authority_files(options.workdir, options.children, options.seed)
    ctx.files = files
    t = files.timings
    how = "reused from an earlier run; written in " if cached else "written in "
    result = (
        f"{files.children:,} children, {files.events:,} events to {files.end:%d/%m/%Y}; "
        f"{how}CSV {seconds(t['csv'])} ({_size(files.csv_dir)}), Annex A workbook "
        f"{seconds(t['annex_a'])} ({_size(files.annex_a)}), CIN census XML "
        f"{seconds(t['cin_census'])} ({_size(files.cin_census)})"
    )
    return [Row("0 synthetic authority (seed_cases)", "-", result, "1 run")]
