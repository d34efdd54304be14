"""Migrations: empty -> head on each database, init-db twice is harmless, models match head."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from audit_app import create_app
from audit_app.db import make_engine
from audit_app.migrate import current_revision, head_revision


def fresh_app(db_url):
    return create_app({"TESTING": True, "DATABASE_URL": db_url})


class TestInitDb:
    def test_empty_to_head_then_again(self, db_url):
        app = fresh_app(db_url)
        runner = app.test_cli_runner()
        first = runner.invoke(args=["init-db"])
        assert first.exit_code == 0, first.output
        second = runner.invoke(args=["init-db"])
        assert second.exit_code == 0, second.output
        engine = make_engine(db_url)
        assert current_revision(engine) == head_revision(db_url)
        assert {"child", "event", "user", "importbatch", "accesslog"} <= set(
            inspect(engine).get_table_names()
        )
        engine.dispose()

    def test_head_matches_the_models(self, db_url):
        app = fresh_app(db_url)
        assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
        engine = make_engine(db_url)
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata
            )
        engine.dispose()
        assert diff == [], "models changed without a migration: run audit_app.migrate.new_revision"
