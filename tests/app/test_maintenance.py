"""Backup, restore and purge."""

import sqlite3
from datetime import date

import pytest
from sqlmodel import func, select

from audit_app import create_app
from audit_app.db import session_scope
from audit_app.models import AccessLog, Audit, AuditCase, Child, Event
from tests.conftest import postgres_url


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}"})
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    return app


def add_child(app, ref: str, events: list[tuple[str, date, date | None]]) -> int:
    with session_scope(app) as session:
        child = Child(child_ref=ref)
        session.add(child)
        session.flush()
        for kind, start, end in events:
            session.add(Event(child_id=child.id, kind=kind, start_date=start, end_date=end))
        session.commit()
        return child.id


def count(app, model) -> int:
    with session_scope(app) as session:
        return session.exec(select(func.count()).select_from(model)).one()


class TestBackupRestore:
    def test_round_trip(self, sqlite_app, tmp_path):
        runner = sqlite_app.test_cli_runner()
        add_child(sqlite_app, "0001", [("referral", date(2025, 1, 6), None)])
        backup = tmp_path / "backups" / "b1.sqlite3"
        assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
        with session_scope(sqlite_app) as session:
            session.exec(select(Event)).one()
            session.delete(session.exec(select(Event)).one())
            session.commit()
        assert count(sqlite_app, Event) == 0
        result = runner.invoke(args=["restore", str(backup), "--yes"])
        assert result.exit_code == 0, result.output
        assert count(sqlite_app, Event) == 1

    def test_refuses_to_overwrite_a_backup(self, sqlite_app, tmp_path):
        target = tmp_path / "b.sqlite3"
        target.write_text("x")
        result = sqlite_app.test_cli_runner().invoke(args=["backup", str(target)])
        assert result.exit_code == 1 and "exists already" in result.output

    def test_restore_refuses_what_is_not_a_backup(self, sqlite_app, tmp_path):
        runner = sqlite_app.test_cli_runner()
        text = tmp_path / "notes.txt"
        text.write_text("hello")
        assert "not a SQLite database" in runner.invoke(args=["restore", str(text), "--yes"]).output
        other = tmp_path / "other.sqlite3"
        sqlite3.connect(other).execute("CREATE TABLE things (id INTEGER)").connection.commit()
        result = runner.invoke(args=["restore", str(other), "--yes"])
        assert result.exit_code == 1 and "not a Front Door Audit backup" in result.output

    @pytest.mark.skipif(not postgres_url(), reason="TEST_DATABASE_URL is not a PostgreSQL URL")
    def test_postgres_points_to_pg_dump(self, app, tmp_path):
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
        assert result.exit_code == 1 and "pg_dump" in result.output


class TestPurge:
    def test_removes_old_cases_but_not_open_audits_or_open_episodes(self, app):
        old = add_child(app, "OLD", [("referral", date(2010, 1, 4), None), ("assessment", date(2010, 1, 5), date(2010, 2, 1))])
        audited = add_child(app, "AUDITED", [("referral", date(2010, 1, 4), None)])
        still_open = add_child(app, "OPEN", [("cp_plan", date(2010, 1, 4), None)])
        recent = add_child(app, "RECENT", [("referral", date(2025, 1, 6), None)])
        with session_scope(app) as session:
            audit = Audit(title="Neglect", theme="neglect", template_key="core-front-door", status="open")
            session.add(audit)
            session.flush()
            session.add(AuditCase(audit_id=audit.id, child_id=audited))
            session.commit()
        runner = app.test_cli_runner()
        dry = runner.invoke(args=["purge", "--older-than", "7y", "--dry-run"])
        assert "Would remove 1 children" in dry.output and count(app, Event) == 5
        result = runner.invoke(args=["purge", "--older-than", "7y"])
        assert result.exit_code == 0, result.output
        assert "Removed 1 children" in result.output and "kept 1 in open audits" in result.output
        with session_scope(app) as session:
            left = set(session.exec(select(Child.id)).all())
            assert old not in left and {audited, still_open, recent} <= left
            assert session.exec(select(AccessLog).where(AccessLog.action == "purge")).one()

    def test_bad_age_is_explained(self, app):
        result = app.test_cli_runner().invoke(args=["purge", "--older-than", "seven years"])
        assert result.exit_code == 1 and "for example 7y" in result.output
