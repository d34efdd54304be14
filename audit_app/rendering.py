"""One URL, two renderings: the full page, or the partial an htmx swap targets.

The only module that reads HX-* headers or touches ``htmx_flask``.
"""

from flask import make_response, render_template, request

__all__ = ["render", "is_partial_request", "hx_trigger"]


def is_partial_request() -> bool:
    """True for a targeted htmx swap; boosted and history-restore requests get the page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    template: str,
    partial: str | None = None,
    *,
    status: int = 200,
    trigger: str | None = None,
    **context,
):
    """Render ``partial`` for an htmx swap, else the full-page ``template``; always ``Vary: HX-Request``."""
    template = partial if partial and is_partial_request() else template
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    if trigger:
        response.headers["HX-Trigger"] = trigger
    return response


def hx_trigger(response, event: str):
    response.headers["HX-Trigger"] = event
    return response
