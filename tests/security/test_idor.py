"""IDOR: an auditor guessing the ids of another auditor's child, audit case, answer, action,
escalation or export gets nothing; a viewer gets no child at all.

Every route of the URL map is tried with the ids of records assigned to someone else, so a
route added later is covered the day it lands.
"""

import urllib.parse
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from audit_app.db import session_scope
from audit_app.models import (
    Answer,
    Audit,
    AuditAction,
    AuditCase,
    Child,
    Escalation,
    Event,
    User,
)
from tests.conftest import Auth

from .helpers import fill

SECRET_REF = "IDOR-0001"


@pytest.fixture
def ann_case(app, make_user):
    """A child in an audit case assigned to ann, with an answer, an action and an escalation."""
    make_user("ann", "auditor")
    make_user("bob", "auditor")
    make_user("vic", "viewer")
    with session_scope(app) as session:
        ann = session.execute(select(User.id).where(User.username == "ann")).scalar_one()
        child = Child(child_ref=SECRET_REF, sex="b")
        audit = Audit(title="Neglect audit", theme="neglect", template_key="core-front-door")
        session.add_all([child, audit])
        session.flush()
        session.add(Event(child_id=child.id, kind="referral", start_date=date(2025, 4, 1)))
        case = AuditCase(audit_id=audit.id, child_id=child.id, auditor_id=ann)
        session.add(case)
        session.flush()
        answer = Answer(audit_case_id=case.id, question_key="voice_of_child", value="good")
        action = AuditAction(audit_case_id=case.id, description="Chase the plan", owner="TM")
        escalation = Escalation(audit_case_id=case.id, note=f"Worried about {SECRET_REF}")
        session.add_all([answer, action, escalation])
        session.commit()
        return {
            "child_ref": urllib.parse.quote(SECRET_REF),
            "child_id": child.id,
            "audit_id": audit.id,
            "audit_case_id": case.id,
            "case_id": case.id,
            "answer_id": answer.id,
            "action_id": action.id,
            "escalation_id": escalation.id,
            "key": "voice_of_child",
        }


CHILD_ROUTE_WORDS = ("child", "case", "answer", "action", "escalation", "key", "audit")


def _child_routes(app, method: str):
    """Rules with a parameter that names a child or something about one."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or method not in rule.methods:
            continue
        if any(word in arg for arg in rule.arguments for word in CHILD_ROUTE_WORDS):
            yield rule


def _counts(app):
    with app.extensions["frontdoor_engine"].connect() as conn:
        counts = {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }
    counts.pop("accesslog")
    counts.pop("usersession")
    return counts


def test_the_owner_can_open_the_childs_journey(app, ann_case):
    ann = Auth(app.test_client())
    ann.login("ann")
    page = ann.client.get(f"/cases/{ann_case['child_ref']}")
    assert page.status_code == 200 and SECRET_REF in page.text


@pytest.mark.parametrize("intruder", ["bob", "vic"])
def test_guessed_ids_of_someone_elses_child_give_nothing(app, ann_case, intruder):
    auth = Auth(app.test_client())
    auth.login(intruder)
    tried = []
    for rule in _child_routes(app, "GET"):
        url = fill(rule.rule, ann_case)
        response = auth.client.get(url)
        tried.append(url)
        assert response.status_code in {403, 404}, f"{intruder} got {response.status_code} at {url}"
        assert SECRET_REF not in response.get_data(as_text=True), f"{url} named the child"
    assert f"/cases/{ann_case['child_ref']}" in tried
    assert f"/audits/case/{ann_case['audit_case_id']}" in tried


@pytest.mark.parametrize("intruder", ["bob", "vic"])
def test_guessed_ids_cannot_change_someone_elses_records(app, ann_case, intruder):
    auth = Auth(app.test_client())
    auth.login(intruder)
    before = _counts(app)
    for rule in _child_routes(app, "POST"):
        url = fill(rule.rule, ann_case)
        response = auth.post(
            url, {"value": "inadequate", "note": "x", "description": "x", "owner": "x"}
        )
        assert response.status_code in {403, 404}, f"{intruder} got {response.status_code} at {url}"
    assert _counts(app) == before
    with session_scope(app) as session:
        assert session.get(Answer, ann_case["answer_id"]).value == "good"


def test_lists_and_searches_do_not_show_another_auditors_child(app, ann_case):
    bob = Auth(app.test_client())
    bob.login("bob")
    for url in ("/", "/cases/", f"/cases/?q={SECRET_REF}", "/audits/", "/audits/actions"):
        response = bob.client.get(url)
        assert response.status_code in {200, 403, 404}, url
        shown = response.get_data(as_text=True).replace(f'value="{SECRET_REF}"', "")  # the query
        assert SECRET_REF not in shown, f"{url} named the child"
