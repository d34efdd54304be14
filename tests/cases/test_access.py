"""can_view_child: who may open which child's record."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from audit_app.access import can_view_child
from audit_app.db import session_scope
from audit_app.models import Child, User
from audit_app.users import roles_of

from .helpers import assign, child, event, load


def user_and_children(app, username):
    with session_scope(app) as session:
        row = session.execute(select(User).where(User.username == username)).scalar_one()
        user = SimpleNamespace(id=row.id, roles=roles_of(row.id, session=session))
        ids = {ref: pk for ref, pk in session.execute(select(Child.child_ref, Child.id))}
        return user, ids


@pytest.fixture
def cohort(app, tmp_path):
    load(
        app,
        tmp_path / "c",
        [child("K1"), child("K2")],
        [event("K1", "referral", "2025-03-03"), event("K2", "referral", "2025-03-04")],
    )


@pytest.mark.parametrize("role", ["admin", "qa_lead", "practice_manager"])
def test_managers_see_every_child(app, make_user, cohort, role):
    make_user("manager", role)
    user, ids = user_and_children(app, "manager")
    with session_scope(app) as session:
        assert all(can_view_child(user, i, session=session) for i in ids.values())


def test_an_auditor_sees_only_the_children_assigned_to_them(app, make_user, cohort):
    make_user("ann", "auditor")
    make_user("bob", "auditor")
    assign(app, "K1", "ann")
    ann, ids = user_and_children(app, "ann")
    bob, _ = user_and_children(app, "bob")
    with session_scope(app) as session:
        assert can_view_child(ann, ids["K1"], session=session)
        assert not can_view_child(ann, ids["K2"], session=session)
        assert not can_view_child(bob, ids["K1"], session=session)
        assert not can_view_child(ann, None, session=session)


def test_a_viewer_sees_no_child(app, make_user, cohort):
    make_user("viewer", "viewer")
    viewer, ids = user_and_children(app, "viewer")
    with session_scope(app) as session:
        assert not any(can_view_child(viewer, i, session=session) for i in ids.values())
