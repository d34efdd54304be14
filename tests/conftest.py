"""Shared fixtures: a fresh app and database per test, on SQLite or on PostgreSQL.

Set ``TEST_DATABASE_URL`` (``postgresql+psycopg://...``) to run every database test
against PostgreSQL; otherwise each test gets its own SQLite file.  Under pytest-xdist
(``make test`` runs ``pytest -n auto``) each worker gets its own PostgreSQL database,
named after TEST_DATABASE_URL's with the worker id, made at the start and dropped at the end
by the controller.
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
    # Once every worker has finished, the controller drops their databases (a worker that
    # dropped its own could be stopped half-way by the controller's exit).
    base = postgres_url()
    if base and not os.environ.get("PYTEST_XDIST_WORKER"):
        prefix = make_url(base).database + "_gw"
        with _autocommit(base) as conn:
            names = conn.execute(
                text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"),
                {"p": prefix},
            ).scalars()
            for name in [n for n in names if n[len(prefix) :].isdigit()]:
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
    """Under xdist, point TEST_DATABASE_URL at a new database ``<its database>_<worker>``.

    Workers share nothing else: ports are chosen free, files go under each test's tmp_path
    and screenshots under each test's own folder.
    """
    base, worker = postgres_url(), os.environ.get("PYTEST_XDIST_WORKER")
    if not base or not worker:
        return
    url = make_url(base)
    name = f"{url.database}_{worker}"
    with _autocommit(base) as conn:  # made afresh: a run stopped half-way leaves no trace
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    os.environ["TEST_DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)


def reset_schema(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


#: Everything a test could change in the structure of schema public, as one digest.
SCHEMA_DIGEST = text(
    """
    SELECT md5(concat_ws('|',
      (SELECT string_agg(format('%s:%s', c.relname, c.relkind), ',' ORDER BY c.relname)
         FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace),
      (SELECT string_agg(format('%s.%s:%s:%s:%s', a.attrelid::regclass, a.attname,
                                format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                pg_get_expr(d.adbin, d.adrelid)),
                         ',' ORDER BY a.attrelid::regclass::text, a.attnum)
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0
          AND NOT a.attisdropped),
      (SELECT string_agg(format('%s:%s', conname, pg_get_constraintdef(oid)), ',' ORDER BY conname)
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
      (SELECT string_agg(pg_get_indexdef(indexrelid), ',' ORDER BY indexrelid::regclass::text)
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = 'public'::regnamespace),
      (SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal),
      (SELECT string_agg(proname, ',' ORDER BY proname)
         FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
      (SELECT string_agg(typname, ',' ORDER BY typname)
         FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype <> 'c'),
      (SELECT string_agg(evtname, ',') FROM pg_event_trigger)))
    """
)
#: Per database: the digest of the schema ``create_all`` made there last.
_fresh_schema: dict[str, str] = {}


def fresh_tables(url: str) -> None:
    """Leave every table of the models empty, sequences at 1, nothing else in schema public.

    Dropping and creating the schema for every test was a third of the PostgreSQL pass.
    When the structure is exactly what ``create_all`` made for the previous test, its rows
    are deleted and its sequences restarted instead; any other structure (a migration test,
    a table a test added, a first run) is dropped and made afresh.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if _fresh_schema.get(url) == conn.execute(SCHEMA_DIGEST).scalar_one():
                for table in reversed(SQLModel.metadata.sorted_tables):
                    conn.execute(table.delete())
                conn.execute(
                    text(
                        "SELECT setval(oid, 1, false) FROM pg_class"
                        " WHERE relnamespace = 'public'::regnamespace AND relkind = 'S'"
                    )
                )
                return
        _fresh_schema.pop(url, None)
        reset_schema(url)
        SQLModel.metadata.create_all(engine)
        with engine.connect() as conn:
            _fresh_schema[url] = conn.execute(SCHEMA_DIGEST).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def db_url(request, tmp_path):
    url = postgres_url()
    if url:
        if "app" in request.fixturenames:
            fresh_tables(url)  # the app fixture's create_all then finds every table
        else:
            reset_schema(url)  # an empty database, as for init-db from nothing
            _fresh_schema.pop(url, None)
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
