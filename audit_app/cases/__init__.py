"""Children and their journeys: the case list, the child's journey page, ``frontdoor journey``."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from . import views  # noqa: E402, F401  (registers the routes on bp)

__all__ = ["bp"]
