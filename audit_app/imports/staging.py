"""The staging area of one import: a temporary SQLite file outside the app's database.

Rows are parsed and validated into it first, with no write transaction open on the
app's database; the diff against the database is then computed with reads only,
so the final merge is one short transaction (``merge.py``).
"""

import hashlib
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from journeys import EVENT_FIELDS

from .report import ERROR, WARNING, Problem, Report
from .rows import CHILD_ATTRS, Row

__all__ = ["Stage", "load_child", "load_event_data"]

CHILD_LABELS = {
    "sex": "Gender",
    "ethnicity": "Ethnicity",
    "dob": "Date of birth",
    "expected_dob": "Expected date of birth",
    "disability": "Disability",
    "uasc": "UASC",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(
        {k: _jsonable(v) for k, v in data.items()}, sort_keys=True, separators=(",", ":")
    )


def _iso(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


#: The staged form of an event's data: the text :func:`_dump` gives, in one pass.
_dump_event = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_iso).encode

#: Accepted events are written to the stage database this many at a time.
FLUSH_EVERY = 5000

DATE_FIELDS = {name for name, kind in EVENT_FIELDS.items() if kind is date}


def load_event_data(text: str) -> dict[str, Any]:
    """Staged event data back to Python values (dates from ISO text)."""
    data = json.loads(text)
    if data.get("end"):
        data["end"] = date.fromisoformat(data["end"])
    for name in DATE_FIELDS & data.get("f", {}).keys():
        data["f"][name] = date.fromisoformat(data["f"][name])
    return data


class Stage:
    """Staged children (in memory: a few hundred bytes each) and events (on disk)."""

    def __init__(self, directory: Path | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="fda-import-", dir=directory)
        self.path = Path(self._dir.name) / "stage.sqlite3"
        self.db = sqlite3.connect(self.path)
        #: True once ``merge.prepare`` has put the rows in the database's storage form.
        self.prepared = False
        self.db.executescript(
            """
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE TABLE ev (seq INTEGER PRIMARY KEY, ref TEXT, kind TEXT, start TEXT,
                             occ INTEGER, fp TEXT, data TEXT, action TEXT, db_id INTEGER,
                             merged TEXT);
            CREATE INDEX ev_key ON ev (ref, kind, start, occ);
            CREATE TABLE ch (ref TEXT PRIMARY KEY, attrs TEXT, raw TEXT, action TEXT,
                             db_id INTEGER, touched INTEGER DEFAULT 0, merged TEXT);
            """
        )
        self.children: dict[str, list[Any]] = {}  # ref -> [attrs dict, raw dict]
        self.events = 0
        self._pending: list[tuple] = []  # accepted events not yet written to ``ev``
        self._unnumbered: set[int] = set()  # hashes of (ref, kind, start, fp), occ not given
        self._numbered: set[int] = set()  # hashes of (ref, kind, start, occ)

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    # -- staging rows -------------------------------------------------------------

    def add(self, row: Row, report: Report) -> None:
        """Stage an accepted row (checking duplicates), or count a rejected one."""
        if not row.rejected:
            self._check_events(row)
        for problem in row.problems:
            report.problem(row.sheet, row.number, problem)
        if row.rejected:
            report.count(row.list_key, rejected=True, warned=False)
            return
        conflicts = self._merge_child(row)
        for problem in conflicts:
            report.problem(row.sheet, row.number, problem)
        report.count(row.list_key, rejected=False, warned=row.warned or bool(conflicts))

    def _check_events(self, row: Row) -> None:
        """Stage the row's events unless they repeat earlier rows (duplicates are ignored).

        The duplicate check is set-based: hashes of the keys staged so far, in memory.
        Only a hit (a true duplicate, or very rarely two keys with the same hash) asks
        the stage database, which then gives the exact answer.  The events of accepted
        rows are written a chunk at a time.
        """
        pending = []
        keys = []
        for event in row.events:
            data = {
                "end": event.end,
                "f": event.fields,
                "d": event.details,
                "r": event.raw,
            }
            text = _dump_event(data)
            fp = hashlib.sha1(text.encode()).hexdigest()
            key = (row.child_ref, event.kind, event.start.isoformat())
            if event.occurrence is None:
                seen = hash((*key, fp))
                if seen in self._unnumbered and self._stored(
                    "SELECT 1 FROM ev WHERE ref=? AND kind=? AND start=? AND occ IS NULL AND fp=?",
                    (*key, fp),
                ):
                    row.problems.append(
                        Problem(
                            WARNING,
                            None,
                            None,
                            f"Duplicate row: the same {event.kind.replace('_', ' ')} on "
                            f"{event.start:%d/%m/%Y} appears earlier in the file; ignored",
                        )
                    )
                    continue
                keys.append((self._unnumbered, seen))
            else:
                seen = hash((*key, event.occurrence))
                other = seen in self._numbered and self._stored(
                    "SELECT fp FROM ev WHERE ref=? AND kind=? AND start=? AND occ=?",
                    (*key, event.occurrence),
                )
                if other and other[0] == fp:
                    row.problems.append(
                        Problem(
                            WARNING,
                            None,
                            None,
                            "Duplicate row: the same event appears earlier in the file; ignored",
                        )
                    )
                    continue
                if other:
                    row.problems.append(
                        Problem(
                            ERROR,
                            "occurrence",
                            event.occurrence,
                            "Another row has the same child, event type, start date and occurrence",
                        )
                    )
                    return
                keys.append((self._numbered, seen))
            pending.append((*key, event.occurrence, fp, text))
        if not any(p.severity == ERROR for p in row.problems):
            for seen_set, seen in keys:
                seen_set.add(seen)
            self._pending.extend(pending)
            self.events += len(pending)
            if len(self._pending) >= FLUSH_EVERY:
                self._flush()

    def _stored(self, sql: str, params: tuple) -> tuple | None:
        """The first staged row answering ``sql``, with every pending event written first."""
        self._flush()
        return self.db.execute(sql, params).fetchone()

    def _flush(self) -> None:
        if self._pending:
            self.db.executemany(
                "INSERT INTO ev (ref, kind, start, occ, fp, data) VALUES (?,?,?,?,?,?)",
                self._pending,
            )
            self._pending.clear()

    def _merge_child(self, row: Row) -> list[Problem]:
        """Later rows fill gaps in a child's attributes; a disagreement is a warning."""
        problems = []
        staged = self.children.get(row.child_ref)
        if staged is None:
            self.children[row.child_ref] = [dict(row.child), dict(row.child_raw)]
            return problems
        attrs, raw = staged
        for name, value in row.child.items():
            if name not in attrs:
                attrs[name] = value
                if name in row.child_raw:
                    raw[name] = row.child_raw[name]
            elif attrs[name] != value:
                label = CHILD_LABELS[name]
                problems.append(
                    Problem(
                        WARNING,
                        label,
                        value,
                        f"{label} '{_jsonable(value)}' differs from "
                        f"'{_jsonable(attrs[name])}' given "
                        f"for child {row.child_ref} earlier in the file; kept the earlier value",
                    )
                )
        return problems

    # -- after reading ------------------------------------------------------------

    def finish(self) -> None:
        """Number same-day events in file order and write the children to disk."""
        self._flush()
        self._unnumbered.clear()
        self._numbered.clear()
        # Numbered into a side table first: updating in place would renumber as it goes.
        self.db.executescript(
            """
            CREATE TEMP TABLE numbering (seq INTEGER PRIMARY KEY, n INTEGER);
            INSERT INTO numbering SELECT seq, ROW_NUMBER() OVER (
                PARTITION BY ref, kind, start ORDER BY seq) - 1 FROM ev WHERE occ IS NULL;
            UPDATE ev SET occ = (SELECT n FROM numbering WHERE numbering.seq = ev.seq)
            WHERE occ IS NULL;
            DROP TABLE numbering;
            """
        )
        self.db.executemany(
            "INSERT INTO ch (ref, attrs, raw) VALUES (?, ?, ?)",
            (
                (ref, _dump(attrs), json.dumps(raw, sort_keys=True))
                for ref, (attrs, raw) in self.children.items()
            ),
        )
        self.children.clear()
        self.db.commit()

    def child_chunks(self, size: int = 1000) -> Iterator[list[tuple[str, dict, dict]]]:
        cursor = self.db.execute("SELECT ref, attrs, raw FROM ch ORDER BY ref")
        while chunk := cursor.fetchmany(size):
            yield [(ref, load_child(attrs), json.loads(raw)) for ref, attrs, raw in chunk]

    def events_of(self, refs: list[str]) -> Iterator[tuple[int, str, str, date, int, dict]]:
        if not refs:
            return
        marks = ",".join("?" * len(refs))
        for seq, ref, kind, start, occ, data in self.db.execute(
            f"SELECT seq, ref, kind, start, occ, data FROM ev WHERE ref IN ({marks})", refs
        ):
            yield seq, ref, kind, date.fromisoformat(start), occ, load_event_data(data)


def load_child(text: str) -> dict[str, Any]:
    attrs = json.loads(text)
    for name in ("dob", "expected_dob"):
        if attrs.get(name):
            attrs[name] = date.fromisoformat(attrs[name])
    return attrs


assert set(CHILD_LABELS) == set(CHILD_ATTRS)
