"""Route x role: generated from the URL map, so a new route without a rule fails."""

import re

import pytest

from audit_app.models import ROLES
from audit_app.permissions import PERMISSIONS, PUBLIC, allowed, permission_of
from tests.conftest import Auth


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        # Any value will do: the guard decides before the view looks the record up.
        yield rule, re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", rule.rule)


class TestEveryRouteHasARule:
    def test_every_endpoint_declares_a_known_permission(self, app):
        for rule, _ in routes(app):
            permission = permission_of(app.view_functions[rule.endpoint])
            assert permission == PUBLIC or permission in PERMISSIONS, (
                f"{rule.rule} has no permission rule"
            )


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_matrix_says(app, client, make_user, role):
    make_user(f"user-{role}", role)
    auth = Auth(client)
    auth.login(f"user-{role}")
    # GET first; POSTs (some of which end sessions) last, signing in again when one does.
    for rule, url in sorted(routes(app), key=lambda r: ("GET" not in r[0].methods, r[0].rule)):
        permission = permission_of(app.view_functions[rule.endpoint])
        if permission == PUBLIC:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        if method == "POST" and "/auth/login" in client.get("/").headers.get("Location", ""):
            auth.login(f"user-{role}")  # an earlier POST (admin: end sessions) ended this one
        response = client.get(url) if method == "GET" else auth.post(url)
        expected = allowed(frozenset({role}), permission)
        if method == "GET":
            assert "/auth/login" not in response.headers.get("Location", ""), f"{role} lost the session at {url}"
        elif "/auth/login" in response.headers.get("Location", ""):
            auth.login(f"user-{role}")
        if expected:
            assert response.status_code != 403, f"{role} refused {method} {url}"
        else:
            assert response.status_code == 403, (
                f"{role} reached {method} {url} ({response.status_code})"
            )
