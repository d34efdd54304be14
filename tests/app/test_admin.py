"""Administration: users, disabling at once, localities, the access log."""

from sqlmodel import select

from audit_app.access import log_access
from audit_app.db import session_scope
from audit_app.models import AccessLog, Team, User


class TestUsers:
    def test_admin_adds_a_user_who_can_then_sign_in(self, make_user, auth, client):
        make_user("root", "admin")
        auth.login("root")
        response = auth.post("/admin/users", {"username": "bea", "password": "lantern orchard pebble",
                                              "roles": ["auditor", "viewer"], "worker_name": "Worker B2"})
        assert response.status_code == 303
        page = client.get("/admin/users").text
        assert "bea" in page and "Auditor, Viewer" in page

    def test_weak_password_is_refused_with_a_reason(self, make_user, auth):
        make_user("root", "admin")
        auth.login("root")
        response = auth.post("/admin/users", {"username": "bea", "password": "password123", "roles": ["viewer"]})
        assert response.status_code == 400
        assert "commonly used passwords" in response.text or "at least 10" in response.text

    def test_disabling_signs_the_user_out_at_once(self, app, make_user, auth, client):
        from tests.conftest import Auth

        make_user("root", "admin")
        make_user("bea", "viewer")
        other = app.test_client()
        Auth(other).login("bea")
        assert other.get("/").status_code == 200
        auth.login("root")
        with session_scope(app) as session:
            bea = session.exec(select(User).where(User.username == "bea")).one()
        assert auth.post(f"/admin/users/{bea.id}/active", {"active": "0"}).status_code == 303
        assert other.get("/").status_code == 302
        assert Auth(app.test_client()).login("bea").status_code == 400


class TestTeams:
    def test_admin_sets_a_locality(self, app, make_user, auth):
        with session_scope(app) as session:
            session.add(Team(name="Assessment Team 1"))
            session.commit()
        make_user("root", "admin")
        auth.login("root")
        assert auth.post("/admin/teams", {"locality-1": "North"}).status_code == 303
        with session_scope(app) as session:
            assert session.exec(select(Team)).one().locality == "North"


class TestAccessLog:
    def _entries(self, app):
        with app.test_request_context():
            from flask import g

            g.user = None
            with session_scope(app) as session:
                for ref in ("0001", "0002", "=cmd|' /C calc'!A0"):
                    log_access(ref, "view journey", session=session)

    def test_search_by_child(self, app, make_user, auth, client):
        self._entries(app)
        make_user("root", "admin")
        auth.login("root")
        page = client.get("/admin/access-log?child=0002")
        assert "1 entry" in page.text and "0002" in page.text

    def test_partial_for_htmx(self, app, make_user, auth, client):
        self._entries(app)
        make_user("root", "admin")
        auth.login("root")
        partial = client.get("/admin/access-log", headers={"HX-Request": "true"})
        assert partial.text.lstrip().startswith('<div id="admin-access-rows">')
        assert "HX-Request" in partial.headers["Vary"]

    def test_export_neutralises_formulas_and_is_itself_logged(self, app, make_user, auth, client):
        self._entries(app)
        make_user("root", "admin")
        auth.login("root")
        body = client.get("/admin/access-log.csv").text
        assert "'=cmd" in body and "\n=cmd" not in body
        with session_scope(app) as session:
            actions = session.exec(select(AccessLog.action)).all()
        assert "export access log" in actions

    def test_no_route_changes_the_log(self, app):
        for rule in app.url_map.iter_rules():
            if "access" in rule.rule:
                assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
