"""Sign in and the dashboard, in a real browser: with JavaScript, without, and accessible."""

from tests.browser.conftest import axe_violations, login


class TestSignIn:
    def test_admin_signs_in_and_sees_the_dashboard(self, live_server, new_page, shots):
        page = new_page()
        page.goto(live_server.url + "/")
        assert "/auth/login" in page.url
        shots(page, "login")
        login(page, live_server.url, "admin")
        assert page.locator("h1").inner_text().endswith("front door at a glance")
        assert page.locator("#home-counts").is_visible()
        shots(page, "dashboard")
        assert page.console_errors == []

    def test_sign_in_works_without_javascript(self, live_server, new_page, shots):
        page = new_page(javascript=False)
        login(page, live_server.url, "viewer")
        assert page.locator("#home-counts").is_visible()
        shots(page, "dashboard-no-js")

    def test_wrong_password_shows_the_error_summary(self, live_server, new_page, shots):
        page = new_page()
        login(page, live_server.url, "viewer", "not the password at all")
        assert page.locator(".govuk-error-summary").is_visible()
        shots(page, "login-error")


class TestAccessibility:
    def test_login_and_dashboard_have_no_serious_violations(self, live_server, new_page):
        page = new_page(bypass_csp=True)
        page.goto(live_server.url + "/auth/login")
        assert axe_violations(page) == []
        login(page, live_server.url, "admin")
        assert axe_violations(page) == []
