"""Themed audits: cohort, sample, assignment, the auditor's form, moderation, actions, escalation."""

from flask import Blueprint

bp = Blueprint("audits", __name__, url_prefix="/audits")

from . import setup  # noqa: E402,F401  (cohort, sample, assignment views)
from . import actions, casework, escalation, moderation  # noqa: E402,F401  (form, moderation, actions, escalation)

__all__ = ["bp"]
