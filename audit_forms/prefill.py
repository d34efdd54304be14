"""Prefilled answers: the journey measures a template's ``prefill`` names, from timeliness checks.

The auditor confirms or corrects a prefilled figure; the app shows where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from journeys import Timeliness

from .templates import Template

__all__ = ["PREFILL_RULES", "Prefill", "prefill_answers"]

#: prefill name -> the timeliness rule whose working days it takes.
PREFILL_RULES: dict[str, str] = {
    "contact_to_referral_days": "contact_to_referral",
    "referral_to_assessment_days": "referral_to_assessment",
    "s47_to_icpc_days": "s47_to_icpc",
}


@dataclass(frozen=True)
class Prefill:
    """A figure for question ``key`` and the sentence saying where it came from."""

    key: str
    value: int
    source: str


def prefill_answers(template: Template, checks: Iterable[Timeliness]) -> dict[str, Prefill]:
    """Working-day figures for the template's prefilled questions, from the latest finished check.

    A check still open (no end date) gives no figure: the interval is not over. A prefill
    name the app does not know gives none either, so the auditor enters it.

    Examples
    --------
    >>> from datetime import date
    >>> from audit_forms.templates import builtin_templates
    >>> core = builtin_templates()[("core-front-door", 1)]
    >>> check = Timeliness("referral_to_assessment", "Referral to assessment", "a", "r", "a",
    ...                    date(2025, 3, 3), date(2025, 4, 14), 29, 42, 45, "working_days",
    ...                    date(2025, 5, 6), "met")
    >>> p = prefill_answers(core, [check])["referral_to_assessment_days"]
    >>> p.value, p.source
    (29, 'From the journey: 29 working days (03/03/2025 to 14/04/2025)')
    """
    finished: dict[str, Timeliness] = {}
    for check in checks:
        if check.end is None or check.working_days is None:
            continue
        kept = finished.get(check.rule)
        if kept is None or check.start >= kept.start:
            finished[check.rule] = check
    found: dict[str, Prefill] = {}
    for question in template.questions:
        rule = PREFILL_RULES.get(question.prefill or "")
        check = finished.get(rule or "")
        if check is None or check.end is None or check.working_days is None:
            continue
        found[question.key] = Prefill(
            question.key,
            check.working_days,
            f"From the journey: {check.working_days} working days "
            f"({check.start:%d/%m/%Y} to {check.end:%d/%m/%Y})",
        )
    return found
