"""The web layer: CSRF on every state change, security headers, error pages, upload limits."""

import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import Auth

from .helpers import post_routes

CSRF_REFUSED = "CSRF"
DROP_BATCHES = ("DROP TABLE importbatch CASCADE", "DROP TABLE importbatch")  # PostgreSQL, SQLite


def _refused_for_csrf(response) -> bool:
    return response.status_code == 400 and CSRF_REFUSED in response.text


class TestCsrf:
    """Every POST route of the URL map, so a new route is covered the day it is added."""

    def test_every_post_route_refuses_a_missing_token(self, app, client, boss):
        for url in post_routes(app):
            response = client.post(url, data={"x": "1"})
            assert _refused_for_csrf(response), (
                f"POST {url} without a token: {response.status_code}"
            )

    def test_every_post_route_refuses_a_wrong_token(self, app, client, boss):
        for url in post_routes(app):
            response = client.post(url, data={"csrf_token": "forged-" + boss.token[7:]})
            assert _refused_for_csrf(response), f"POST {url} with a forged token"

    def test_htmx_requests_with_a_wrong_header_token_are_refused(self, app, client, boss):
        for url in post_routes(app):
            response = client.post(
                url, headers={"HX-Request": "true", "X-CSRFToken": "not-the-token"}
            )
            assert _refused_for_csrf(response), f"htmx POST {url} with a wrong header"

    def test_a_token_from_another_session_is_refused(self, app, client, boss, make_user):
        make_user("eve", "admin")
        other = Auth(app.test_client())
        other.login("eve")
        response = client.post("/admin/teams", data={"csrf_token": other.token})
        assert _refused_for_csrf(response)

    def test_htmx_requests_carry_the_token_in_a_header_and_it_is_accepted(self, app, client, boss):
        page = client.get("/")
        body = html.unescape(re.search(r"<body[^>]*>", page.text).group(0))
        header_token = re.search(r'"X-CSRFToken": "([^"]+)"', body).group(1)
        response = client.post(
            "/admin/teams", headers={"HX-Request": "true", "X-CSRFToken": header_token}
        )
        assert response.status_code == 303

    def test_the_login_form_itself_needs_the_token(self, client, make_user):
        make_user("ann", "viewer")
        response = client.post(
            "/auth/login",
            data={"username": "ann", "password": "correct horse battery staple 42"},
        )
        assert _refused_for_csrf(response)
        assert client.get("/").status_code == 302  # not signed in


class TestHeaders:
    @pytest.mark.parametrize("path", ["/auth/login", "/", "/no-such-page", "/imports/"])
    def test_every_response_carries_the_security_headers(self, client, boss, path):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'", csp)
        assert "object-src 'none'" in csp and "base-uri 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"

    def test_the_nonce_is_new_every_request_and_every_script_carries_it(self, client, boss):
        nonces = set()
        for _ in range(3):
            response = client.get("/")
            nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
            nonces.add(nonce)
            scripts = re.findall(r"<script\b[^>]*>", response.text)
            assert scripts, "the page has no scripts to check"
            for tag in scripts:
                assert f'nonce="{nonce}"' in tag, tag
            # The one inline script is the GOV.UK page template's, and it carries the nonce.
            inline = re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>", response.text)
            assert len(inline) <= 1
        assert len(nonces) == 3

    def test_hsts_only_over_https(self, client):
        assert "Strict-Transport-Security" not in client.get("/auth/login").headers
        secure = client.get("/auth/login", base_url="https://localhost")
        assert secure.headers["Strict-Transport-Security"].startswith("max-age=63072000")

    def test_hsts_behind_a_trusted_reverse_proxy(self, db_url):
        from audit_app import create_app

        proxied = create_app(
            {"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "x", "TRUSTED_PROXIES": 1}
        )
        response = proxied.test_client().get(
            "/auth/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"}
        )
        assert "Strict-Transport-Security" in response.headers
        # Without a trusted proxy a forged header changes nothing.
        plain = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "x"})
        response = plain.test_client().get("/auth/login", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in response.headers

    def test_pages_about_people_are_not_cached(self, client, boss):
        assert client.get("/imports/history").headers["Cache-Control"] == "no-store"

    def test_the_session_cookie_is_secure_httponly_and_samesite(self, client, make_user):
        make_user("ann", "viewer")
        Auth(client).login("ann")
        cookie = client.get_cookie("frontdoor_session")
        assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"


class TestErrorPages:
    def test_not_found_and_wrong_method_have_their_own_pages(self, client, boss):
        missing = client.get("/imports/999999")
        assert missing.status_code == 404 and "Page not found" in missing.text
        wrong = client.delete("/imports/history")
        assert wrong.status_code == 405 and "<html" in wrong.text

    def test_a_database_failure_shows_no_traceback_or_sql(self, app, client, boss):
        with app.extensions["frontdoor_engine"].begin() as conn:
            conn.execute(text(DROP_BATCHES[conn.dialect.name == "sqlite"]))
        response = client.get("/imports/history")
        assert response.status_code == 500
        assert "Sorry, there is a problem with the service" in response.text
        for leak in ("Traceback", "SELECT", "importbatch", "sqlalchemy", "psycopg", 'File "'):
            assert leak not in response.text, leak

    def test_a_bug_in_a_view_shows_the_error_page_not_the_exception(self, app, client, make_user):
        from audit_app.permissions import requires

        @requires("view_dashboard")
        def broken():
            raise ValueError("SELECT secret FROM child WHERE child_ref = 'C0001'")

        app.add_url_rule("/broken-for-test", "broken_for_test", broken)
        make_user("ann", "viewer")
        Auth(client).login("ann")
        response = client.get("/broken-for-test")
        assert response.status_code == 500
        assert "C0001" not in response.text and "SELECT" not in response.text

    def test_an_htmx_request_that_fails_gets_no_traceback_either(self, app, client, boss):
        with app.extensions["frontdoor_engine"].begin() as conn:
            conn.execute(text(DROP_BATCHES[conn.dialect.name == "sqlite"]))
        response = client.get("/imports/history", headers={"HX-Request": "true"})
        assert response.status_code == 500 and "Traceback" not in response.text


class TestUploads:
    def test_an_upload_over_the_limit_is_refused_before_it_is_read(self, app, client, boss):
        app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
        data = {"file": (io.BytesIO(b"0" * 200_000), "big.csv"), "max_reject": "10"}
        response = boss.post("/imports/", data, content_type="multipart/form-data")
        assert response.status_code == 413 and "The file is too large" in response.text

    def test_the_default_limit_is_set(self, app):
        assert app.config["MAX_CONTENT_LENGTH"] == 200 * 1024 * 1024

    @pytest.mark.parametrize("name", ["run.exe", "page.html", "x.xlsm", "archive.tar.gz", "noext"])
    def test_other_types_are_refused(self, app, client, boss, name):
        data = {"file": (io.BytesIO(b"MZ\x90\x00"), name), "max_reject": "10"}
        response = boss.post("/imports/", data, content_type="multipart/form-data")
        assert response.status_code == 400
        assert "The file must be an .xlsx workbook" in response.text

    def test_a_program_renamed_to_xlsx_is_refused_by_its_content(self, app, client, boss):
        data = {"file": (io.BytesIO(b"MZ\x90\x00" + bytes(4000)), "totally.xlsx")}
        response = boss.post("/imports/", data, content_type="multipart/form-data")
        assert response.status_code == 303
        from audit_app.imports.views import THREADS

        for thread in list(THREADS.values()):
            thread.join(timeout=30)
        page = client.get(response.headers["Location"])
        assert "The file was not loaded" in page.text
        assert "is not a spreadsheet, a CSV file or a CIN census XML file" in page.text

    def test_the_uploaded_file_name_cannot_escape_the_upload_folder(self, app, client, boss):
        target = Path("/tmp/evil-upload-name-test.csv")
        target.unlink(missing_ok=True)
        data = {
            "file": (io.BytesIO(b"child_id,kind\n"), "../../../../tmp/evil-upload-name-test.csv")
        }
        response = boss.post("/imports/", data, content_type="multipart/form-data")
        assert response.status_code == 303
        from audit_app.imports.views import THREADS

        for thread in list(THREADS.values()):
            thread.join(timeout=30)
        assert not target.exists()
