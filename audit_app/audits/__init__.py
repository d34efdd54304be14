"""Themed audits: cohort, sample, assignment, the auditor's form, moderation, actions, escalation."""

from flask import Blueprint

bp = Blueprint("audits", __name__, url_prefix="/audits")

__all__ = ["bp"]
