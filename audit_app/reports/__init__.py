"""Roll-ups and the self-evaluation: indicators, sections 5 and 8, Word and Excel exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

__all__ = ["bp"]
