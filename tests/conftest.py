"""Shared fixtures: a fresh app and database per test, on SQLite or on PostgreSQL.

Set ``TEST_DATABASE_URL`` (``postgresql+psycopg://...``) to run every database test
against PostgreSQL; otherwise each test gets its own SQLite file.  Under pytest-xdist
(``make test`` runs ``pytest -n auto``) each worker gets its own PostgreSQL database,
named after TEST_DATABASE_URL's with the worker id, made at the start and dropped at the end.
"""

import os
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from audit_app import create_app, passwords
from audit_app.db import make_engine, session_scope
from audit_app.models import UserCreate
from audit_app.users import create_user

PASSWORD = "correct horse battery staple 42"
SHARED = Path(os.environ.get("FRONTDOOR_SHARED", Path(__file__).resolve().parents[2] / "shared"))
#: Ofsted's Annex A template, vendored so the tests need nothing beside the clone.
OFSTED_TEMPLATE = (
    Path(__file__).parent / "fixtures" / "annex-a" / "ofsted-annex-a-template-aug2019.xlsx"
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_configure(config):
    config.addinivalue_line("markers", "db: uses the database (runs again on PostgreSQL in CI)")
    # Argon2 at its production cost (64 MiB, 3 passes) was half the suite's time: the tests
    # made and checked thousands of hashes.  In this process they are real argon2id hashes at
    # the lowest cost; servers the tests start as subprocesses (gunicorn, waitress, the CLI)
    # keep the production parameters, and verifying reads the parameters from each hash.
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _use_a_database_per_worker(config)


def pytest_unconfigure(config):
    worker_db = getattr(config, "_frontdoor_worker_db", None)
    if worker_db:
        base, name = worker_db
        with _autocommit(base) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


class _autocommit:
    """A connection outside any transaction (CREATE and DROP DATABASE need one)."""

    def __init__(self, url: str):
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")

    def __enter__(self):
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
        self.engine.dispose()


def _use_a_database_per_worker(config) -> None:
    """Under xdist, point TEST_DATABASE_URL at ``<its database>_<worker>``, made if missing.

    Workers share nothing else: ports are chosen free, files go under each test's tmp_path
    and screenshots under each test's own folder.
    """
    base, worker = postgres_url(), os.environ.get("PYTEST_XDIST_WORKER")
    if not base or not worker:
        return
    url = make_url(base)
    name = f"{url.database}_{worker}"
    with _autocommit(base) as conn:
        if (
            conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            is None
        ):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    os.environ["TEST_DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)
    config._frontdoor_worker_db = (base, name)


def reset_schema(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def db_url(tmp_path):
    url = postgres_url()
    if url:
        reset_schema(url)
        yield url
    else:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app(db_url):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret"})
    SQLModel.metadata.create_all(app.extensions["frontdoor_engine"])
    yield app
    app.extensions["frontdoor_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Builder: ``make_user("ann", "auditor", worker_name=...)`` returns the username."""

    def build(username: str, *roles: str, **extra) -> str:
        with session_scope(app) as session:
            create_user(
                UserCreate(username=username, password=PASSWORD, roles=list(roles), **extra),
                session=session,
            )
        return username

    return build


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "page carries no CSRF token"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, username: str, password: str = PASSWORD, **kwargs):
        page = self.client.get("/auth/login")
        response = self.client.post(
            "/auth/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf_token_from(page.text),
                **kwargs,
            },
        )
        if response.status_code == 303:
            self.token = csrf_token_from(self.client.get("/").text)
        return response

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)
