"""Plain-English names for the codes a journey carries (anomalies, sources, categories)."""

from ..imports.normalise import CATEGORY, SOURCE

__all__ = ["ANOMALY_SHORT", "anomaly_label", "source_label", "category_label"]

#: Short names for anomaly codes, for tags and timeline labels (the long message is in journeys).
ANOMALY_SHORT = {
    "icpc_without_s47": "ICPC without S47",
    "cp_plan_without_icpc": "CP plan without ICPC",
    "assessment_before_referral": "Assessment before referral",
    "icpc_before_s47": "ICPC before S47",
    "linked_out_of_order": "Linked out of order",
    "cin_cp_overlap": "CIN and CP plans overlap",
    "two_open_assessments": "Two open assessments",
    "activity_after_closure": "Activity after closure",
    "activity_after_nfa": "Activity after NFA",
    "cp_plan_same_day": "CP plan starts and ends same day",
    "end_before_start": "Ends before it starts",
}


def anomaly_label(code: str) -> str:
    return ANOMALY_SHORT.get(code, code.replace("_", " ").capitalize())


def _strip_letter(label: str) -> str:
    return label.split(") ", 1)[1] if ") " in label[:4] else label


def source_label(code: str | None) -> str:
    """ "6" -> "6: Police"."""
    if not code:
        return "Not recorded"
    return _strip_letter(SOURCE.labels.get(code, code))


def category_label(code: str | None) -> str:
    """ "NEG" -> "Neglect"."""
    if not code:
        return "Not recorded"
    return _strip_letter(CATEGORY.labels.get(code, code))
