"""SQLite's short final transaction: rows prepared in the stage, copied with it attached.

The attached write must store exactly what the generic write (PostgreSQL's, and
SQLite's before) stores, byte for byte and storage class for storage class, and
leave no stage attached to a pooled connection, whether the import succeeds or fails.
"""

import re
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from audit_app.db import make_engine
from audit_app.imports import merge, run_import

from .helpers import engine_of, load, referral, referral_workbook

STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every column of child and event as stored, with each value's storage class, the
    schema and the integrity check."""
    db = sqlite3.connect(path)
    try:
        out = {}
        for table in ("child", "event"):
            names = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            picks = ", ".join(f"{n}, typeof({n})" for n in names)
            keys = [f"{n}{s}" for n in names for s in ("", ":type")]
            rows = []
            for row in db.execute(f"SELECT {picks} FROM {table} ORDER BY id"):
                values = dict(zip(keys, row, strict=True))
                if "updated_at" in names:  # the clock differs: keep its form, not its value
                    assert STAMP.fullmatch(values["updated_at"]), values["updated_at"]
                    values["updated_at"] = "stamp"
                rows.append(tuple(sorted(values.items())))
            out[table] = rows
        out["schema"] = sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        out["integrity"] = db.execute("PRAGMA integrity_check").fetchall()
        return out
    finally:
        db.close()


def _load_all(path: Path, files: list[Path]) -> list[dict]:
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    try:
        results = [run_import(f, engine=engine) for f in files]
    finally:
        engine.dispose()
    assert [r.status for r in results] == ["committed"] * len(files), [r.message for r in results]
    return [r.report for r in results]


def test_the_attached_write_stores_exactly_what_the_generic_write_stores(
    tmp_path, exports, monkeypatch
):
    statements = []
    real = merge._execute

    def recording(conn, statement, rows):
        statements.append(str(statement))
        real(conn, statement, rows)

    monkeypatch.setattr(merge, "_execute", recording)
    monkeypatch.setattr(merge, "SET_CHUNK", 37)  # several ranges per statement
    attached = _load_all(tmp_path / "attached.sqlite3", exports)
    assert statements and all(merge.STAGE_SCHEMA in s for s in statements)
    statements.clear()
    monkeypatch.setattr(merge, "ATTACHED_WRITE", False)
    generic = _load_all(tmp_path / "generic.sqlite3", exports)
    assert statements and not any(merge.STAGE_SCHEMA in s for s in statements)
    assert attached == generic
    # The newer export and the CSV change stored rows, not only add them.
    assert generic[1]["events"]["changed"] > 0 and generic[1]["events"]["added"] > 0
    assert generic[2]["children"]["changed"] > 0 and generic[2]["events"]["changed"] > 0

    a, g = _dump(tmp_path / "attached.sqlite3"), _dump(tmp_path / "generic.sqlite3")
    assert a.pop("schema") == g.pop("schema")  # the indexes rebuilt on the first load too
    assert a.pop("integrity") == g.pop("integrity") == [("ok",)]
    assert len(a["child"]) == 120 and len(a["event"]) > 500
    for table in ("child", "event"):
        assert len(a[table]) == len(g[table])
        for mine, theirs in zip(a[table], g[table], strict=True):
            assert mine == theirs, table
    # The JSON columns hold both objects and JSON null (None), and booleans and dates
    # are there too: the comparison above covered each form.
    events = [dict(r) for r in a["event"]]
    assert {e["raw"] for e in events} >= {"null"} and any(e["raw"] != "null" for e in events)
    assert any(e["details"] not in (None, "null") for e in events)
    assert {e["details"] for e in events} & {"null"}
    assert {e["nfa:type"] for e in events} >= {"integer", "null"}
    assert {e["end_date:type"] for e in events} == {"text", "null"}
    assert {dict(c)["raw"] for c in a["child"]} & {"null"}


def _attached_names(engine) -> list[tuple[set[str], int]]:
    """The databases and page cache size of every connection the pool holds."""
    conns = [engine.connect() for _ in range(max(engine.pool.checkedin(), 1))]
    try:
        return [
            (
                {r[1] for r in c.exec_driver_sql("PRAGMA database_list")},
                c.exec_driver_sql("PRAGMA cache_size").scalar_one(),
            )
            for c in conns
        ]
    finally:
        for c in conns:
            c.close()


@pytest.mark.parametrize("fail", [False, True])
def test_the_stage_is_detached_and_removed_after_the_import(app, tmp_path, monkeypatch, fail):
    engine = engine_of(app)
    if engine.dialect.name != "sqlite":
        pytest.skip("the stage is attached on SQLite only")
    staging = tmp_path / "staging"
    staging.mkdir()
    calls = []
    real = merge._execute

    def failing(conn, statement, rows):
        calls.append(str(statement))
        assert merge.STAGE_SCHEMA in {r[1] for r in conn.exec_driver_sql("PRAGMA database_list")}
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == merge.MERGE_CACHE_KIB
        if fail and len(calls) == 2:
            raise RuntimeError("disk full")
        real(conn, statement, rows)

    monkeypatch.setattr(merge, "_execute", failing)
    monkeypatch.setattr(merge, "SET_CHUNK", 3)
    path = referral_workbook(tmp_path / "a.xlsx", [referral(f"C{i}") for i in range(8)])
    result = run_import(path, engine=engine, staging_dir=staging)
    assert result.status == ("failed" if fail else "committed"), result.message
    assert len(calls) >= 2
    default_cache = sqlite3.connect(":memory:").execute("PRAGMA cache_size").fetchone()[0]
    pooled = _attached_names(engine)
    assert all(n <= {"main", "temp"} and c == default_cache for n, c in pooled), pooled
    assert list(staging.iterdir()) == []
    # The pooled connections still write: nothing holds the stage or a transaction.
    monkeypatch.setattr(merge, "_execute", real)
    again = load(app, path)
    assert again.status == "committed", again.message
    assert again.report["children"]["added"] == (8 if fail else 0)


DIES_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from audit_app.db import make_engine
from audit_app.imports import merge, run_import

real, calls = merge._execute, []

def dying(conn, statement, rows):
    calls.append(statement)
    if len(calls) == 6:  # the children written, some events too: killed outright
        os.kill(os.getpid(), signal.SIGKILL)
    real(conn, statement, rows)

merge._execute, merge.CHUNK, merge.SET_CHUNK = dying, 10, 10
run_import(sys.argv[2], engine=make_engine(sys.argv[1]), staging_dir=Path(sys.argv[3]))
"""


def test_a_process_killed_during_the_write_leaves_the_database_as_it_was(app, tmp_path):
    import subprocess
    import sys

    from sqlalchemy import select
    from sqlmodel import SQLModel

    from audit_app.imports import close_interrupted

    from .helpers import batches

    engine = engine_of(app)
    load(app, referral_workbook(tmp_path / "a.xlsx", [referral(f"A{i}") for i in range(10)]))

    def every_row():
        with engine.connect() as conn:
            rows = {
                name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for name, table in SQLModel.metadata.tables.items()
                if name != "importbatch"
            }
            if conn.dialect.name == "sqlite":  # the indexes the write may rebuild, intact
                rows["schema"] = sorted(
                    map(tuple, conn.exec_driver_sql("SELECT type, name, sql FROM sqlite_master"))
                )
                rows["integrity"] = conn.exec_driver_sql("PRAGMA integrity_check").all()
            return rows

    before = every_row()
    rows = [referral(f"A{i}", **{"Allocated Team": "East"}) for i in range(10)]
    rows += [referral(f"B{i}") for i in range(40)]
    path = referral_workbook(tmp_path / "b.xlsx", rows)
    (tmp_path / "stage").mkdir()
    url = engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", DIES_MID_WRITE, url, str(path), str(tmp_path / "stage")],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    assert every_row() == before
    assert close_interrupted(engine) == [batches(app)[-1]["id"]]
    again = load(app, path)
    assert again.status == "committed", again.message
    assert again.report["children"] == {"added": 40, "changed": 0, "unchanged": 10}
    assert again.report["events"] == {"added": 40, "changed": 10, "unchanged": 0}
