"""Walking the app's URL map: every route, with its parameters filled in."""

import re

from audit_app.permissions import PUBLIC, permission_of

PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def fill(rule: str, values: dict[str, str] | None = None) -> str:
    """``/imports/<int:batch_id>`` with each parameter set from ``values`` (default ``1``)."""
    values = values or {}
    return PARAM.sub(lambda m: str(values.get(m.group(1), "1")), rule)


def _rules(app, method: str):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or method not in rule.methods:
            continue
        if permission_of(app.view_functions[rule.endpoint]) == PUBLIC and method == "GET":
            continue
        yield rule


def post_routes(app, values: dict[str, str] | None = None) -> list[str]:
    """Every POST URL; the ones that end a session last."""
    urls = [fill(rule.rule, values) for rule in _rules(app, "POST")]
    return sorted(urls, key=lambda url: ("logout" in url, url))


def get_routes(app, values: dict[str, str] | None = None) -> list[str]:
    return [fill(rule.rule, values) for rule in _rules(app, "GET")]


class WebSession:
    """A browser-like client for a live server: cookies kept, redirects not followed."""

    def __init__(self, base: str):
        import http.cookiejar
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )
        self.token: str | None = None

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 60):
        """(status, body text, headers) of one request; HTTP errors are answers too."""
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.headers

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.request("POST", path, {"csrf_token": self.token, **(data or {})}, **kwargs)

    def login(self, username: str, password: str) -> int:
        from tests.conftest import csrf_token_from

        _, page, _ = self.get("/auth/login")
        self.token = csrf_token_from(page)
        status, _, _ = self.post("/auth/login", {"username": username, "password": password})
        if status == 303:
            _, home, _ = self.get("/")
            self.token = csrf_token_from(home)
        return status
