"""Faults: an import killed with SIGKILL, and twenty people saving the same record at once.

Both run on SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlmodel import SQLModel

from audit_app.db import is_sqlite, session_scope
from audit_app.imports import close_interrupted, run_import
from audit_app.imports.csv_files import CHILD_COLUMNS, EVENT_COLUMNS
from audit_app.models import Answer, Audit, AuditCase, Child, ImportBatch, Team
from tests.conftest import PASSWORD

from .conftest import FRONTDOOR, cli_env
from .helpers import WebSession

BIG = 4_000  # children: enough that the write takes a moment, few enough for CI
KINDS = (("contact", "2025-01-02"), ("referral", "2025-01-03"), ("assessment", "2025-01-06"))


def write_authority(folder: Path, n: int, *, prefix="K", team="North") -> Path:
    """``n`` children with three events each, in the app's CSV format."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "children.csv", "w") as out:
        out.write(",".join(CHILD_COLUMNS) + "\n")
        for i in range(n):
            out.write(f"{prefix}{i:07d},b,WBRI,2015-01-01,,,\n")
    index = {c: k for k, c in enumerate(EVENT_COLUMNS)}
    with open(folder / "events.csv", "w") as out:
        out.write(",".join(EVENT_COLUMNS) + "\n")
        for i in range(n):
            for kind, start in KINDS:
                row = [""] * len(EVENT_COLUMNS)
                row[index["child_id"]], row[index["kind"]] = f"{prefix}{i:07d}", kind
                row[index["start"]], row[index["occurrence"]] = start, "0"
                row[index["team"]], row[index["worker"]] = team, f"Worker {i % 40}"
                out.write(",".join(row) + "\n")
    return folder


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def _write_in_flight(engine) -> bool:
    """PostgreSQL: True once the importing process has written inside its open transaction."""
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
            ).scalar_one()
        )


def _progress(engine, batch_id_floor: int) -> str:
    with engine.connect() as conn:
        row = conn.execute(
            select(ImportBatch.__table__.c.progress)
            .where(ImportBatch.__table__.c.id > batch_id_floor)
            .order_by(ImportBatch.__table__.c.id.desc())
        ).first()
    return (row[0] or "") if row else ""


@pytest.mark.parametrize("moment", ["while reading", "while writing"])
def test_an_import_killed_mid_way_changes_nothing_and_can_be_run_again(
    app, db_url, tmp_path, moment
):
    engine = app.extensions["frontdoor_engine"]
    first = run_import(write_authority(tmp_path / "first", 50, prefix="A"), engine=engine)
    assert first.status == "committed"
    before = row_counts(engine)
    big = write_authority(tmp_path / "big", BIG, team="East")
    proc = subprocess.Popen(
        [str(FRONTDOOR), "import", str(big)],
        env=cli_env(db_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, killed_at = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            progress = _progress(engine, first.batch_id)
            if moment == "while reading" and progress.startswith("Read "):
                killed_at = progress
            elif moment == "while writing" and is_sqlite(db_url):
                # SQLite's final transaction now only copies prepared rows (a fraction of a
                # second here, inside a large page cache, so nothing reaches the WAL to watch
                # for): kill while the rows are prepared for it.  The kill inside that
                # transaction is tests/imports/test_attached_write.py's, made deterministic
                # by stopping the process at a chosen bulk statement.
                if progress.startswith("Preparing"):
                    killed_at = progress
            elif moment == "while writing" and progress.startswith("Writing"):
                if _write_in_flight(engine):
                    killed_at = progress
            if killed_at:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed_at, f"the import finished (or stalled) before it could be killed {moment}"
    assert proc.returncode == -signal.SIGKILL

    after = row_counts(engine)
    assert after["child"] == before["child"] and after["event"] == before["event"]
    assert after["importbatch"] == before["importbatch"] + 1  # the attempt is in the history
    if is_sqlite(db_url):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    # The killed attempt is recorded as failed, not left "running" for ever.
    closed = close_interrupted(engine)
    assert len(closed) == 1
    with engine.connect() as conn:
        status, message = conn.execute(
            select(ImportBatch.__table__.c.status, ImportBatch.__table__.c.message).where(
                ImportBatch.__table__.c.id == closed[0]
            )
        ).one()
    assert status == "failed" and "interrupted" in message

    again = subprocess.run(
        [str(FRONTDOOR), "import", str(big)],
        env=cli_env(db_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    final = row_counts(engine)
    assert final["child"] == before["child"] + BIG
    assert final["event"] == before["event"] + 3 * BIG


def _answer(app) -> int:
    with session_scope(app) as session:
        child = Child(child_ref="R0000001")
        audit = Audit(title="Neglect", theme="neglect", template_key="core")
        session.add_all([child, audit])
        session.flush()
        case = AuditCase(audit_id=audit.id, child_id=child.id)
        session.add(case)
        session.flush()
        answer = Answer(audit_case_id=case.id, question_key="voice", value=[], version=1)
        session.add(answer)
        session.commit()
        return answer.id


def test_twenty_people_saving_one_answer_lose_no_update(app, db_url):
    """Optimistic locking: each save names the version it read; a stale save retries."""
    engine = app.extensions["frontdoor_engine"]
    answer_id = _answer(app)
    table = Answer.__table__
    errors, conflicts = [], []
    start = threading.Barrier(20)

    def person(n: int) -> None:
        try:
            start.wait()
            for _ in range(200):
                with engine.connect() as conn:
                    value, version = conn.execute(
                        select(table.c.value, table.c.version).where(table.c.id == answer_id)
                    ).one()
                time.sleep(0.005)  # a moment between reading and saving, as a person has
                with engine.begin() as conn:
                    saved = conn.execute(
                        update(table)
                        .where(table.c.id == answer_id, table.c.version == version)
                        .values(value=[*value, n], version=version + 1)
                    ).rowcount
                if saved == 1:
                    return
                conflicts.append(n)
            errors.append(f"{n} never saved")
        except Exception as error:  # noqa: BLE001 - any error is the failure we look for
            errors.append(f"{n}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=person, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with engine.connect() as conn:
        value, version = conn.execute(
            select(table.c.value, table.c.version).where(table.c.id == answer_id)
        ).one()
    assert sorted(value) == list(range(20)), "an update was lost"
    assert version == 21
    assert conflicts, "the saves never raced: the test proves nothing"


def test_twenty_people_saving_through_the_web_server_get_no_error(app, make_user, waitress_server):
    """Twenty sessions post the same form at once to a real WSGI server: no 500, none lost."""
    make_user("ada", "admin")
    with session_scope(app) as session:
        team = Team(name="North")
        session.add(team)
        session.commit()
        team_id = team.id
    people = [WebSession(waitress_server) for _ in range(20)]
    for person in people:
        assert person.login("ada", PASSWORD) == 303
    start, answers = threading.Barrier(20), []

    def save(n: int) -> None:
        start.wait()
        status, body, _ = people[n].post("/admin/teams", {f"locality-{team_id}": f"Area {n}"})
        answers.append((n, status, "Sorry, there is a problem" in body))

    threads = [threading.Thread(target=save, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(status for _, status, _ in answers) == [303] * 20, answers
    with session_scope(app) as session:
        locality = session.get(Team, team_id).locality
    assert locality in {f"Area {n}" for n in range(20)}


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app, db_url):
    if not is_sqlite(db_url):
        pytest.skip("a SQLite setting")
    with app.extensions["frontdoor_engine"].connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 15000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
