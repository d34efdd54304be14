"""Fixtures for the security suite: a user holding every role, payloads, live servers."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from audit_app.models import ROLES
from tests.conftest import Auth

ROOT = Path(__file__).resolve().parents[2]
FRONTDOOR = Path(sys.executable).with_name("frontdoor")


@pytest.fixture
def boss(make_user, client):
    """Signed in as a user who holds every role, so every route is reachable."""
    make_user("boss", *ROLES)
    auth = Auth(client)
    assert auth.login("boss").status_code == 303
    return auth


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port}")


def cli_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "FRONTDOOR_"))}
    env.update(
        {
            "DATABASE_URL": db_url,
            "SECRET_KEY": "security-suite-secret",
            "FRONTDOOR_SECURE_COOKIES": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def waitress_server(app):
    """The test's app served by waitress on 127.0.0.1 in a thread; yields its base URL."""
    from waitress.server import create_server

    app.config["SESSION_COOKIE_SECURE"] = False
    server = create_server(app, host="127.0.0.1", port=free_port(), threads=16)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)
