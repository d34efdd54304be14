"""Load: 50 concurrent signed-in clients for 30 seconds against waitress on 127.0.0.1.

They read the case list and children's journeys (each journey view writes the access
log, so reads and writes interleave).  No request may fail; p50 and p95 are printed.
Set ``FRONTDOOR_LOAD_SECONDS`` / ``FRONTDOOR_LOAD_CLIENTS`` to run longer or wider.
"""

import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from audit_app import create_app
from audit_app.db import session_scope
from audit_app.models import AccessLog, Child, UserCreate
from audit_app.seeding import load_cases, load_teams
from audit_app.users import create_user
from tests.conftest import PASSWORD

from .conftest import cli_env, free_port, wait_for_port
from .helpers import WebSession

CLIENTS = int(os.environ.get("FRONTDOOR_LOAD_CLIENTS", "50"))
SECONDS = float(os.environ.get("FRONTDOOR_LOAD_SECONDS", "30"))


@pytest.fixture
def served(tmp_path):
    """A seeded SQLite database served by waitress in its own process."""
    from seed_cases.generator import generate

    url = f"sqlite:///{tmp_path / 'load.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "load"})
    engine = app.extensions["frontdoor_engine"]
    SQLModel.metadata.create_all(engine)
    authority = generate(300, 5)
    load_teams(authority.teams, engine=engine)
    load_cases(authority.iter_cases(), engine=engine)
    with session_scope(app) as session:
        create_user(
            UserCreate(username="pm", password=PASSWORD, roles=["practice_manager"]),
            session=session,
        )
        refs = list(session.execute(select(Child.child_ref)).scalars())
    port = free_port()
    log = open(tmp_path / "waitress.log", "wb")  # a pipe nobody reads would stall the server
    proc = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "waitress-serve"),
            f"--listen=127.0.0.1:{port}",
            "--threads=8",
            "--call",
            "audit_app:create_app",
        ],
        env=cli_env(url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc=proc)
        yield f"http://127.0.0.1:{port}", refs, app
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        engine.dispose()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@pytest.mark.slow
def test_fifty_clients_for_thirty_seconds_get_no_errors(served):
    base, refs, app = served
    routes = {"case list": "/cases/", "journey": None}
    clients = [WebSession(base) for _ in range(CLIENTS)]
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(lambda c: c.login("pm", PASSWORD), clients)) == {303}
    timings: dict[str, list[float]] = {name: [] for name in routes}
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def run(client: WebSession, seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        stop = time.monotonic() + SECONDS
        while time.monotonic() < stop:
            name = rng.choice(list(routes))
            path = routes[name] or "/cases/" + urllib.parse.quote(rng.choice(refs), safe="")
            began = time.monotonic()
            try:
                status, body, _ = client.get(path, timeout=60)
            except Exception as error:  # noqa: BLE001 - a dropped connection is a failure too
                status, body = None, f"{type(error).__name__}: {error}"
            elapsed = time.monotonic() - began
            with lock:
                if status != 200:
                    failures.append(f"{path}: {status} {body[:200]}")
                timings[name].append(elapsed)

    threads = [threading.Thread(target=run, args=(c, i)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    total = sum(len(v) for v in timings.values())
    lines = [f"{CLIENTS} clients, {SECONDS:.0f} s, {total:,} requests ({total / SECONDS:.1f}/s)"]
    for name, values in timings.items():
        if values:
            lines.append(
                f"  {name}: n={len(values):,} p50={statistics.median(values) * 1000:.0f} ms "
                f"p95={_percentile(values, 0.95) * 1000:.0f} ms "
                f"max={max(values) * 1000:.0f} ms"
            )
    print("\n".join(lines))
    assert failures == [], f"{len(failures)} failed requests, first: {failures[:3]}"
    assert all(timings.values()), "a page was never requested"
    with session_scope(app) as session:
        logged = session.execute(select(func.count()).select_from(AccessLog)).scalar_one()
    assert logged >= len(timings["journey"]), "journey views were not all logged"
