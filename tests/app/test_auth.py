"""Login required everywhere but login and static; sessions, throttle, redirects."""

from datetime import timedelta

from sqlmodel import select

from audit_app.db import session_scope
from audit_app.models import UserSession
from tests.conftest import PASSWORD, csrf_token_from


class TestLoginRequired:
    def test_every_page_but_login_and_static_redirects_to_login(self, app, client):
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.arguments - set(rule.defaults or {}):
                continue
            response = client.get(rule.rule)
            if rule.endpoint in {"auth.login", "static"}:
                assert response.status_code in {200, 404}, rule.rule
            else:
                assert response.status_code == 302, rule.rule
                assert "/auth/login" in response.headers["Location"]

    def test_login_page_is_public_and_carries_csrf(self, client):
        page = client.get("/auth/login")
        assert page.status_code == 200
        assert "Sign in" in page.text
        assert csrf_token_from(page.text)


class TestLogin:
    def test_good_login_reaches_dashboard(self, make_user, auth, client):
        make_user("ann", "viewer")
        response = auth.login("ann")
        assert response.status_code == 303
        assert client.get("/").status_code == 200

    def test_wrong_password_is_refused_plainly(self, make_user, auth):
        make_user("ann", "viewer")
        response = auth.login("ann", "not the password")
        assert response.status_code == 400
        assert "The username or password is not right" in response.text

    def test_missing_csrf_is_refused(self, make_user, client):
        make_user("ann", "viewer")
        response = client.post("/auth/login", data={"username": "ann", "password": PASSWORD})
        assert response.status_code == 400

    def test_throttle_after_five_failures(self, make_user, auth):
        make_user("ann", "viewer")
        for _ in range(5):
            auth.login("ann", "wrong password")
        response = auth.login("ann")
        assert response.status_code == 400
        assert "Too many failed attempts" in response.text

    def test_session_is_rotated_on_login(self, make_user, client, auth):
        make_user("ann", "viewer")
        client.get("/auth/login")
        before = client.get_cookie("frontdoor_session")
        auth.login("ann")
        after = client.get_cookie("frontdoor_session")
        assert before is None or before.value != after.value

    def test_next_cannot_leave_the_site(self, make_user, auth):
        make_user("ann", "viewer")
        for target in (
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
        ):
            auth.client.get("/")  # ensure a fresh session each time
            response = auth.login("ann", next=target)
            assert response.headers["Location"] in {"/", "http://localhost/"}, target
            auth.post("/auth/logout")

    def test_next_inside_the_site_is_followed(self, make_user, auth):
        make_user("ann", "viewer")
        assert auth.login("ann", next="/?x=1").headers["Location"].endswith("/?x=1")

    def test_idle_timeout_ends_the_session(self, app, make_user, auth, client):
        make_user("ann", "viewer")
        auth.login("ann")
        with session_scope(app) as session:
            row = session.exec(select(UserSession)).one()
            row.last_seen_at = row.last_seen_at - timedelta(minutes=31)
            session.add(row)
            session.commit()
        assert client.get("/").status_code == 302

    def test_logout_revokes_the_session(self, make_user, auth, client):
        make_user("ann", "viewer")
        auth.login("ann")
        assert auth.post("/auth/logout").status_code == 303
        assert client.get("/").status_code == 302

    def test_disabled_user_is_out_at_once(self, app, make_user, auth, client):
        from audit_app.models import User

        make_user("ann", "viewer")
        auth.login("ann")
        with session_scope(app) as session:
            user = session.exec(select(User)).one()
            user.active = False
            session.add(user)
            session.commit()
        assert client.get("/").status_code == 302


class TestHeaders:
    def test_security_headers(self, client):
        response = client.get("/auth/login")
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert "nonce-" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
