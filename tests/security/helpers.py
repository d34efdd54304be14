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
