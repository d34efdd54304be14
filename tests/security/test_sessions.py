"""Logins and sessions: fixation, open redirect, throttle, timeouts, logout, passwords."""

from datetime import timedelta

import pytest
from sqlmodel import select

from audit_app.db import session_scope
from audit_app.models import UserSession
from audit_app.passwords import MIN_LENGTH, _common_passwords, password_problems
from tests.conftest import PASSWORD, Auth, csrf_token_from


def _client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


class TestSessionFixation:
    def test_a_cookie_planted_before_login_is_worthless_after_it(self, app, client, make_user):
        make_user("ann", "auditor")
        client.get("/auth/login")
        planted = client.get_cookie("frontdoor_session")
        Auth(client).login("ann")
        after = client.get_cookie("frontdoor_session")
        assert planted is None or planted.value != after.value
        # The attacker holding the planted cookie is still signed out.
        attacker = app.test_client()
        if planted is not None:
            attacker.set_cookie("frontdoor_session", planted.value)
        assert attacker.get("/").status_code == 302

    def test_a_second_login_gets_a_new_server_side_session(self, app, client, make_user):
        make_user("ann", "auditor")
        auth = Auth(client)
        auth.login("ann")
        first = client.get_cookie("frontdoor_session").value
        auth.login("ann")
        second = client.get_cookie("frontdoor_session").value
        assert first != second
        stale = app.test_client()
        stale.set_cookie("frontdoor_session", first)
        assert stale.get("/").status_code == 302, "the old session survived a new login"
        with session_scope(app) as session:
            rows = session.exec(select(UserSession)).all()
        assert [r.revoked for r in rows] == [True, False]

    def test_the_cookie_holds_a_token_not_the_user(self, app, client, make_user):
        make_user("ann", "auditor")
        Auth(client).login("ann")
        value = client.get_cookie("frontdoor_session").value
        assert "ann" not in value and "auditor" not in value


class TestOpenRedirect:
    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example/",
            "//evil.example/",
            "///evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "http:evil.example",
            " //evil.example",
            "https:/evil.example",
            "/%2F%2Fevil.example",
        ],
    )
    def test_next_cannot_send_anyone_off_the_site(self, make_user, client, target):
        make_user("ann", "viewer")
        response = Auth(client).login("ann", next=target)
        assert response.status_code == 303
        location = response.headers["Location"]
        assert location in {"/", "http://localhost/"} or (
            location.startswith("/") and not location.startswith("//")
        ), location
        assert "evil.example" not in location.split("/")[2:3] and "javascript" not in location

    def test_the_login_page_does_not_reflect_next_unescaped(self, client):
        page = client.get('/auth/login?next="><script>alert(1)</script>')
        assert "<script>alert(1)</script>" not in page.text


class TestThrottle:
    def test_five_failures_on_one_account_lock_it_from_any_address(self, app, make_user):
        make_user("ann", "viewer")
        for i in range(5):
            response = Auth(_client_from(app, f"10.0.0.{i + 1}")).login("ann", "wrong password")
            assert "Too many" not in response.text
        fresh = Auth(_client_from(app, "10.9.9.9"))
        response = fresh.login("ann")  # the right password, a new address
        assert response.status_code == 400 and "Too many failed attempts" in response.text
        assert fresh.client.get("/").status_code == 302

    def test_five_failures_from_one_address_lock_it_for_every_account(self, app, make_user):
        make_user("ann", "viewer")
        make_user("bob", "viewer")
        for name in ("u1", "u2", "u3", "u4", "u5"):
            Auth(_client_from(app, "10.0.0.66")).login(name, "wrong password")
        response = Auth(_client_from(app, "10.0.0.66")).login("bob")
        assert "Too many failed attempts" in response.text
        # Another address is not punished for it.
        assert Auth(_client_from(app, "10.0.0.67")).login("ann").status_code == 303

    def test_four_failures_then_success_clears_the_account(self, app, make_user):
        make_user("ann", "viewer")
        auth = Auth(_client_from(app, "10.0.0.5"))
        for _ in range(4):
            auth.login("ann", "wrong password")
        assert Auth(_client_from(app, "10.0.0.6")).login("ann").status_code == 303

    def test_the_throttle_message_does_not_reveal_whether_the_account_exists(self, app):
        texts = []
        for name in ("nobody-here", "another-nobody"):
            auth = Auth(_client_from(app, "10.0.1.1" if name == "nobody-here" else "10.0.1.2"))
            texts.append(auth.login(name, "wrong password").text)
        assert all("The username or password is not right" in t for t in texts)


def _age_session(app, *, idle=None, absolute=None):
    with session_scope(app) as session:
        for row in session.exec(select(UserSession)).all():
            if idle:
                row.last_seen_at = row.last_seen_at - idle
            if absolute:
                row.created_at = row.created_at - absolute
            session.add(row)
        session.commit()


class TestTimeouts:
    def test_idle_for_30_minutes_signs_out(self, app, client, make_user):
        make_user("ann", "viewer")
        Auth(client).login("ann")
        _age_session(app, idle=timedelta(minutes=29))
        assert client.get("/").status_code == 200, "signed out before the idle timeout"
        _age_session(app, idle=timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]

    def test_the_absolute_timeout_ends_even_a_busy_session(self, app, client, make_user):
        make_user("ann", "viewer")
        Auth(client).login("ann")
        _age_session(app, absolute=timedelta(hours=11, minutes=50))
        assert client.get("/").status_code == 200
        _age_session(app, absolute=timedelta(minutes=20))  # 12 h 10 min old, seen just now
        assert client.get("/").status_code == 302

    def test_an_expired_session_is_revoked_not_just_skipped(self, app, client, make_user):
        make_user("ann", "viewer")
        Auth(client).login("ann")
        _age_session(app, idle=timedelta(hours=1))
        client.get("/")
        with session_scope(app) as session:
            assert session.exec(select(UserSession)).one().revoked

    def test_the_timeouts_come_from_the_configuration(self, app, client, make_user):
        app.config["IDLE_TIMEOUT_MINUTES"] = 5
        make_user("ann", "viewer")
        Auth(client).login("ann")
        _age_session(app, idle=timedelta(minutes=6))
        assert client.get("/").status_code == 302


class TestLogout:
    def test_logout_everywhere_ends_every_session_of_the_user(self, app, make_user):
        make_user("ann", "viewer")
        make_user("bob", "viewer")
        laptop, phone, other = (Auth(app.test_client()) for _ in range(3))
        laptop.login("ann")
        phone.login("ann")
        other.login("bob")
        assert phone.post("/auth/logout-everywhere").status_code == 303
        assert laptop.client.get("/").status_code == 302
        assert phone.client.get("/").status_code == 302
        assert other.client.get("/").status_code == 200, "another user was signed out"

    def test_logout_needs_a_post_with_the_token(self, app, client, make_user):
        make_user("ann", "viewer")
        auth = Auth(client)
        auth.login("ann")
        assert client.get("/auth/logout").status_code == 405
        assert client.post("/auth/logout").status_code == 400
        assert client.get("/").status_code == 200

    def test_an_admin_disabling_a_user_ends_their_sessions_at_once(self, app, make_user):
        make_user("ada", "admin")
        make_user("ann", "viewer")
        admin, ann = Auth(app.test_client()), Auth(app.test_client())
        admin.login("ada")
        ann.login("ann")
        with session_scope(app) as session:
            from audit_app.models import User

            ann_id = session.exec(select(User.id).where(User.username == "ann")).one()
        assert admin.post(f"/admin/users/{ann_id}/active", {"active": "0"}).status_code == 303
        assert ann.client.get("/").status_code == 302
        assert ann.login("ann").status_code == 400, "a disabled user signed in again"


class TestPasswords:
    def test_the_deny_list_is_the_maintained_zxcvbn_list(self):
        common = _common_passwords()
        assert len(common) > 20_000
        for password in ("password", "qwertyuiop", "1qaz2wsx3edc", "iloveyou", "manchester"):
            assert password in common

    @pytest.mark.parametrize(
        "password,reason",
        [
            ("short1!", f"at least {MIN_LENGTH} characters"),
            ("qwertyuiop", "commonly used passwords"),
            ("Password123", "commonly used passwords"),
            ("1qaz2wsx3edc", "commonly used passwords"),
            ("ann-is-my-name-2026", "must not contain the username"),
            ("x" * 300, "256 characters or fewer"),
        ],
    )
    def test_weak_passwords_are_refused_with_the_reason(self, password, reason):
        problems = password_problems(password, username="ann")
        assert any(reason in p for p in problems), problems

    @pytest.mark.parametrize(
        "password", ["correct horse battery staple", "lowercase only but long", "zq8 vy3 plm 44"]
    )
    def test_length_beats_complexity(self, password):
        assert password_problems(password, username="ann") == []

    def test_the_admin_form_refuses_a_common_password_plainly(self, app, make_user, client):
        make_user("ada", "admin")
        auth = Auth(client)
        auth.login("ada")
        response = auth.post(
            "/admin/users",
            {"username": "newbie", "password": "qwerty1234", "roles": "viewer"},
        )
        assert response.status_code == 400
        assert "commonly used passwords" in response.text

    def test_passwords_are_stored_as_argon2_hashes(self, app, make_user):
        from audit_app.models import User

        make_user("ann", "viewer")
        with session_scope(app) as session:
            stored = session.exec(select(User.password_hash)).one()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_the_csrf_token_changes_with_the_login(app, client, make_user):
    make_user("ann", "viewer")
    before = csrf_token_from(client.get("/auth/login").text)
    auth = Auth(client)
    auth.login("ann")
    assert auth.token and auth.token != before
