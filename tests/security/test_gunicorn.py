"""gunicorn with two workers on one PostgreSQL database: workers share sessions, the
login throttle and saved data, because all of it lives in the database.

Each worker's process id is in the access log, so the test can show that both workers
answered.  Skipped, saying why, unless ``TEST_DATABASE_URL`` points at PostgreSQL.
"""

import os
import re
import subprocess
import sys
import time

import pytest

from audit_app.db import session_scope
from audit_app.models import Team
from tests.conftest import PASSWORD, postgres_url

from .conftest import ROOT, cli_env, free_port, wait_for_port
from .helpers import WebSession

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not postgres_url(),
        reason="gunicorn's workers need a shared PostgreSQL: set TEST_DATABASE_URL",
    ),
]


@pytest.fixture
def gunicorn(app, db_url, tmp_path):
    port = free_port()
    access_log = tmp_path / "access.log"
    errors = open(tmp_path / "error.log", "wb")
    proc = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=cli_env(db_url, GUNICORN_ACCESS_LOG=str(access_log)),
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        wait_for_port(port, proc=proc)
        time.sleep(1.0)  # both workers booted
        yield f"http://127.0.0.1:{port}", access_log
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        errors.close()


def _workers(access_log, method: str, path: str) -> set[str]:
    """The process ids that answered ``method path``, from the access log."""
    time.sleep(0.2)
    pattern = re.compile(rf'<(\d+)> "{method} {re.escape(path)}"')
    return {m.group(1) for m in pattern.finditer(access_log.read_text())}


def test_two_workers_share_saved_data_and_sessions(app, make_user, gunicorn):
    base, access_log = gunicorn
    make_user("ada", "admin")
    with session_scope(app) as session:
        team = Team(name="North")
        session.add(team)
        session.commit()
        team_id = team.id
    ada = WebSession(base)
    assert ada.login("ada", PASSWORD) == 303
    status, _, _ = ada.post("/admin/teams", {f"locality-{team_id}": "Coastal"})
    assert status == 303
    for _ in range(30):  # each request is a new connection: the workers take turns at random
        status, page, _ = ada.get("/admin/teams")
        assert status == 200 and 'value="Coastal"' in page
        if len(_workers(access_log, "GET", "/admin/teams")) == 2:
            break
    assert len(_workers(access_log, "GET", "/admin/teams")) == 2, "one worker answered all"


def test_a_login_throttle_counted_in_one_worker_holds_in_the_other(app, make_user, gunicorn):
    base, access_log = gunicorn
    make_user("ann", "viewer")
    for _ in range(5):
        person = WebSession(base)
        assert person.login("ann", "not the password") == 400
    refused = 0
    for _ in range(30):
        person = WebSession(base)
        assert person.login("ann", PASSWORD) == 400, "a worker let a throttled account in"
        refused += 1
        if len(_workers(access_log, "POST", "/auth/login")) == 2 and refused >= 4:
            break
    assert len(_workers(access_log, "POST", "/auth/login")) == 2, "one worker answered all"
    # The access log names no user and no query string.
    assert "ann" not in access_log.read_text()
