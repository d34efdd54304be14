"""XSS in free text and imported values, formula injection in exports, SQL-shaped search text.

The pages and exports are found by walking the URL map, so routes added later are
covered too (parameters are filled with the ids of the records planted here).
"""

import csv
import html
import io
import re
import urllib.parse

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from audit_app.access import log_access
from audit_app.db import session_scope
from audit_app.imports import run_import
from audit_app.imports.csv_files import CHILD_COLUMNS, EVENT_COLUMNS
from audit_app.models import (
    Answer,
    Audit,
    AuditAction,
    AuditCase,
    Child,
    Escalation,
    Moderation,
    Quote,
    SefSection,
    Team,
    User,
)

from .helpers import get_routes

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
FORMULA = '=HYPERLINK("http://evil.example","click")'
CHILD_REF = "<b>ZX1</b>"  # a child ID is any text: it must be escaped like the rest
RAW_MARKERS = ("<script>alert", "<img src=x", "<b>ZX1</b>")


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def _event(**values):
    return [values.get(c, "") for c in EVENT_COLUMNS]


@pytest.fixture
def planted(app, boss, tmp_path):
    """Payloads in every free-text field that exists and in imported values."""
    response = boss.post(
        "/admin/users",
        {
            "username": "mallory",
            "password": "a long and unusual passphrase 7",
            "roles": "auditor",
            "display_name": SCRIPT,
            "worker_name": IMG,
            "team_name": FORMULA,
        },
    )
    assert response.status_code == 303
    folder = tmp_path / "payload"
    folder.mkdir()
    children = [list(CHILD_COLUMNS), [CHILD_REF, "b", "WBRI", "2015-01-01", "", "", ""]]
    children.append(["ZX2", "a", "WBRI", "2016-01-01", "", "", ""])
    _write_csv(folder / "children.csv", children)
    events = [list(EVENT_COLUMNS)]
    for ref in (CHILD_REF, "ZX2"):
        events.append(
            _event(child_id=ref, kind="contact", start="2025-01-02", occurrence="0",
                   team=SCRIPT, worker=FORMULA)
        )  # fmt: skip
        events.append(
            _event(child_id=ref, kind="referral", start="2025-01-03", occurrence="0",
                   team=IMG, worker=SCRIPT)
        )  # fmt: skip
    events.append(_event(child_id="ZX3", kind="contact", start=IMG, occurrence="0"))  # rejected
    _write_csv(folder / "events.csv", events)
    engine = app.extensions["frontdoor_engine"]
    result = run_import(folder, engine=engine, file_name=f"{SCRIPT}.zip", max_reject=50)
    assert result.status == "committed", result.message
    with session_scope(app) as session:
        team = session.exec(select(Team)).first()
        if team is None:
            session.add(Team(name=SCRIPT))
            session.commit()
    with app.test_request_context():
        from flask import g

        g.user = None
        with session_scope(app) as session:
            log_access(CHILD_REF, "view journey", FORMULA, session=session)
    audit_ids = _plant_audit_text(app)
    with session_scope(app) as session:
        ids = {
            **audit_ids,
            "batch_id": result.batch_id,
            "user_id": session.exec(select(User.id).where(User.username == "mallory")).one(),
            "child_id": session.exec(select(Child.id)).first(),
        }
        ids["child_ref"] = urllib.parse.quote(CHILD_REF, safe="")
    return ids


def _plant_audit_text(app) -> dict[str, int]:
    """Payloads in the free text of audits: title, evidence, response, actions, escalations,
    moderation notes, quotes and the SEF narrative (written as their forms would save them)."""
    with session_scope(app) as session:
        boss = session.execute(select(User.id).where(User.username == "boss")).scalar_one()
        child = session.execute(select(Child).where(Child.child_ref == "ZX2")).scalar_one()
        audit = Audit(title=SCRIPT, theme="neglect", template_key="core-front-door")
        session.add(audit)
        session.flush()
        case = AuditCase(
            audit_id=audit.id,
            child_id=child.id,
            auditor_id=boss,
            status="submitted",
            practitioner_response=IMG,
            tags=[SCRIPT],
            overall_grade="good",
        )
        session.add(case)
        session.flush()
        rows = [
            Answer(audit_case_id=case.id, question_key="voice_of_child", value=SCRIPT,
                   evidence=FORMULA),
            AuditAction(audit_case_id=case.id, description=SCRIPT, owner=IMG, team=FORMULA),
            Escalation(audit_case_id=case.id, note=IMG, action_taken=SCRIPT, raised_by=boss),
            Moderation(audit_case_id=case.id, moderator_id=boss, note=SCRIPT),
            Quote(audit_case_id=case.id, question_key="voice_of_child", text=IMG,
                  approved=True),
            SefSection(section="5", text=SCRIPT + FORMULA, saved_by=boss),
        ]  # fmt: skip
        session.add_all(rows)
        session.commit()
        return {
            "audit_id": audit.id,
            "audit_case_id": case.id,
            "case_id": case.id,
            "action_id": rows[1].id,
            "escalation_id": rows[2].id,
            "key": "voice_of_child",
        }


def _is_export(response) -> bool:
    return response.mimetype in {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


def _cells(response) -> list:
    if response.mimetype == "text/csv":
        return [c for row in csv.reader(io.StringIO(response.text)) for c in row]
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                cells.append(cell.value)
    return cells


def test_payloads_come_back_escaped_on_every_page_and_inert_in_every_export(
    app, client, boss, planted
):
    pages = exports = 0
    for url in get_routes(app, planted) + [
        "/imports/history?q=" + urllib.parse.quote(SCRIPT),
        "/admin/access-log?child=" + urllib.parse.quote(CHILD_REF),
        "/admin/access-log.csv?child=" + urllib.parse.quote(CHILD_REF),
    ]:
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if _is_export(response):
            exports += 1
            for value in _cells(response):
                if isinstance(value, str):
                    assert not value.startswith(("=", "+", "-", "@")) or value in {"-"}, (
                        f"{url}: a cell could run as a formula: {value[:60]}"
                    )
        elif response.mimetype == "text/html":
            pages += 1
            for marker in RAW_MARKERS:
                assert marker not in response.text, f"{url} shows {marker} unescaped"
    assert pages >= 5 and exports >= 2, (pages, exports)
    # And the escaped payloads are there: they were shown, safely.
    history = client.get("/imports/history").text
    assert html.escape(SCRIPT, quote=False) in history or "&lt;script&gt;" in history
    users = client.get("/admin/users").text
    assert "&lt;script&gt;alert(" in users
    log_page = client.get("/admin/access-log").text
    assert "&lt;b&gt;ZX1&lt;/b&gt;" in log_page
    case_page = client.get(f"/audits/case/{planted['audit_case_id']}").text
    assert "&lt;img src=x" in case_page, "the audit case page did not show the planted text"
    actions = client.get("/audits/actions").text
    assert "&lt;script&gt;alert(" in actions


def test_the_import_report_escapes_the_rejected_value(app, client, boss, planted):
    page = client.get(f"/imports/{planted['batch_id']}")
    assert "is not a date" in page.text
    assert IMG not in page.text and "&lt;img src=x" in page.text
    report = client.get(f"/imports/{planted['batch_id']}/report.csv").text
    assert "<img src=x" in report  # CSV is not HTML: kept as text, served as text/csv
    assert "text/csv" in client.get(f"/imports/{planted['batch_id']}/report.csv").content_type


SQL_PAYLOADS = [
    "' OR '1'='1",
    "'; DROP TABLE child; --",
    '1 UNION SELECT password_hash FROM "user" --',
    "%' OR 1=1 --",
    '") OR ("1"="1',
    "\\",
    "ZX2' --",
    '1; UPDATE "user" SET active = false',
]


def _get_forms(page: str) -> list[tuple[str, list[str]]]:
    """(action, field names) of every GET form of a page."""
    forms = []
    for match in re.finditer(r"<form\b([^>]*)>(.*?)</form>", page, re.S | re.I):
        attrs, body = match.groups()
        method = re.search(r'method="([^"]+)"', attrs)
        if method and method.group(1).lower() != "get":
            continue
        action = re.search(r'action="([^"]*)"', attrs)
        names = re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', body)
        names = [n for n in names if n != "csrf_token"]
        if names:
            forms.append((html.unescape(action.group(1)) if action else "", names))
    return forms


def _row_counts(app) -> dict[str, int]:
    with app.extensions["frontdoor_engine"].connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def test_sql_shaped_text_in_every_search_and_filter_is_harmless(app, client, boss, planted):
    searched = []
    for url in get_routes(app, planted):
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        for action, names in _get_forms(response.text):
            target = action or url.split("?")[0]
            for payload in SQL_PAYLOADS:
                before = _row_counts(app)
                query = urllib.parse.urlencode({name: payload for name in names})
                result = client.get(f"{target}?{query}")
                assert result.status_code in {200, 400}, f"{target}?{query}: {result.status_code}"
                assert "$argon2" not in result.text, f"{target} leaked a password hash"
                after = _row_counts(app)
                after["accesslog"] = before["accesslog"] = 0  # searching may itself be logged
                assert after == before, f"{target}?{query} changed the database"
                searched.append(target)
    assert "/admin/access-log" in searched, "the access-log search was not found"
    # The tables are all still there and the users still active.
    with session_scope(app) as session:
        assert all(session.execute(select(User.active)).scalars())
        assert session.execute(select(func.count()).select_from(Child)).scalar_one() == 2


def test_an_injection_shaped_filter_matches_nothing_rather_than_everything(
    app, client, boss, planted
):
    everything = client.get("/admin/access-log").text
    assert "view journey" in everything
    for payload in SQL_PAYLOADS[:4]:
        page = client.get("/admin/access-log?" + urllib.parse.urlencode({"child": payload}))
        assert page.status_code == 200 and "view journey" not in page.text, payload
