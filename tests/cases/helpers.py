"""Builders for the cases tests: a small literal cohort loaded through the real importer."""

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select

from audit_app.db import session_scope
from audit_app.imports import run_import
from audit_app.imports.csv_files import CHILD_COLUMNS, EVENT_COLUMNS
from audit_app.models import Audit, AuditCase, Child, JourneySummary, User


def engine_of(app):
    return app.extensions["frontdoor_engine"]


def event(child_id, kind, start, end="", occurrence="0", **fields):
    row = {
        "child_id": child_id,
        "kind": kind,
        "start": start,
        "end": end,
        "occurrence": occurrence,
        **fields,
    }
    return [row.get(c, "") for c in EVENT_COLUMNS]


def child(child_id, dob="2016-02-01", sex="b", expected_dob=""):
    return [child_id, sex, "WBRI", dob, expected_dob, "false", "false"]


def write_folder(folder: Path, children: list[list], events: list[list]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, header, rows in (
        ("children.csv", CHILD_COLUMNS, children),
        ("events.csv", EVENT_COLUMNS, events),
    ):
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([list(header), *rows])
    return folder


def load(app, folder: Path, children: list[list], events: list[list]):
    result = run_import(write_folder(folder, children, events), engine=engine_of(app))
    assert result.status == "committed", result.message
    return result


def summaries(app) -> dict[str, dict]:
    """child ID -> its stored summary row."""
    with engine_of(app).connect() as conn:
        rows = (
            conn.execute(
                select(Child.child_ref, JourneySummary.__table__).join(
                    JourneySummary, JourneySummary.child_id == Child.id
                )
            )
            .mappings()
            .all()
        )
    return {r["child_ref"]: dict(r) for r in rows}


def assign(app, child_ref: str, username: str) -> None:
    """Put ``child_ref`` in an audit assigned to ``username``."""
    with session_scope(app) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        kid = session.execute(select(Child).where(Child.child_ref == child_ref)).scalar_one()
        audit = Audit(
            title="Neglect audit",
            theme="neglect",
            template_key="front_door",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
        )
        session.add(audit)
        session.flush()
        session.add(AuditCase(audit_id=audit.id, child_id=kid.id, auditor_id=user.id))
        session.commit()
