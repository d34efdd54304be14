"""Roll-ups and the self-evaluation: indicators, sections 5 and 8, Word and Excel exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

__all__ = ["bp"]

from . import sef  # noqa: E402,F401  (the SEF workspace's views)
from .indicator_views import indicators_page  # noqa: E402,F401  (the evidence base page, 8(b))
