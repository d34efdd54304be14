"""The plain records that go into a journey: a child and the events of its path.

These frozen dataclasses are the only shapes ``journeys`` accepts.  ``audit_app``
maps database rows to them in one place; ``seed_cases`` produces them directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = [
    "CONTACT",
    "EARLY_HELP",
    "REFERRAL",
    "ASSESSMENT",
    "S47",
    "ICPC",
    "CIN_EPISODE",
    "CIN_PLAN",
    "CP_PLAN",
    "LAC",
    "CLOSURE",
    "EVENT_KINDS",
    "KIND_LABELS",
    "EVENT_FIELDS",
    "Child",
    "Event",
]

CONTACT = "contact"
EARLY_HELP = "early_help"
REFERRAL = "referral"
ASSESSMENT = "assessment"
S47 = "s47"  # strategy discussion initiating a section 47 enquiry
ICPC = "icpc"
CIN_EPISODE = "cin_episode"  # Annex A List 6: the most recent episode of need
CIN_PLAN = "cin_plan"  # CIN census CINPlanDates, or the app's CSV
CP_PLAN = "cp_plan"
LAC = "lac"
CLOSURE = "closure"

#: Every kind of event, in the order a journey normally runs.
EVENT_KINDS: tuple[str, ...] = (
    CONTACT,
    EARLY_HELP,
    REFERRAL,
    ASSESSMENT,
    S47,
    ICPC,
    CIN_EPISODE,
    CIN_PLAN,
    CP_PLAN,
    LAC,
    CLOSURE,
)

KIND_LABELS: dict[str, str] = {
    CONTACT: "Contact",
    EARLY_HELP: "Early help episode",
    REFERRAL: "Referral",
    ASSESSMENT: "Assessment",
    S47: "Strategy discussion / section 47 enquiry",
    ICPC: "Initial child protection conference",
    CIN_EPISODE: "Episode of need",
    CIN_PLAN: "Child in need plan",
    CP_PLAN: "Child protection plan",
    LAC: "Looked-after episode",
    CLOSURE: "Case closure",
}

#: The optional fields an event may carry in ``Event.attrs``, with their Python type.
#: The database's ``event`` table has one column of the same name for each, so that
#: rows map to events (and back) by name.  Which kinds use which field:
#:
#: - contact: source, outcome
#: - early_help: organisation, outcome (start = assessment start, end = completion)
#: - referral: source, nfa, referrals_last_12m, team, worker
#: - assessment: child_seen, factors, outcome, in_need, disability, team, worker
#:   (start = assessment start, end = authorisation date)
#: - s47: outcome, icpc_not_required, s47_last_12m, icpcs_last_12m, team, worker
#:   (start = strategy discussion initiating the enquiry, end = enquiry completed)
#: - icpc: plan_resulted, team, worker
#: - cin_episode: primary_need, reason, case_status, last_seen, team, worker
#: - cin_plan: team, worker
#: - cp_plan: category_initial, category_latest, last_visit, seen_alone, latest_review,
#:   reviews, previous_plans, epo, team, worker
#: - lac: category_of_need, legal_status, legal_status_start, placement_type,
#:   placement_provider, placement_location, reason (ceased), uasc, team, worker
#: - closure: reason
EVENT_FIELDS: dict[str, type] = {
    "source": str,
    "outcome": str,
    "nfa": bool,
    "organisation": str,
    "team": str,
    "worker": str,
    "referrals_last_12m": int,
    "child_seen": bool,
    "in_need": bool,
    "factors": str,  # comma-separated CIN census codes, e.g. "3A,4B"
    "icpc_not_required": bool,
    "s47_last_12m": int,
    "icpcs_last_12m": int,
    "plan_resulted": bool,
    "primary_need": str,
    "reason": str,
    "case_status": str,
    "last_seen": date,
    "category_initial": str,
    "category_latest": str,
    "last_visit": date,
    "seen_alone": bool,
    "latest_review": date,
    "reviews": str,  # comma-separated ISO dates of CP review conferences
    "previous_plans": int,
    "epo": bool,
    "category_of_need": str,
    "legal_status": str,
    "legal_status_start": date,
    "placement_type": str,
    "placement_provider": str,
    "placement_location": str,
}


@dataclass(frozen=True, slots=True)
class Child:
    """A child as the authority records it.

    ``child_id`` is the authority's identifier, a string (leading zeros kept).
    An unborn child has ``expected_dob`` and no ``dob``.
    """

    child_id: str
    sex: str | None = None  # Annex A gender code: "a" male, "b" female, "c" not stated, "d" neither
    ethnicity: str | None = None  # CBDS code, e.g. "WBRI"
    dob: date | None = None
    expected_dob: date | None = None
    disability: bool | None = None
    uasc: bool | None = None

    @property
    def unborn(self) -> bool:
        return self.dob is None and self.expected_dob is not None


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a child's journey.

    ``occurrence`` numbers events of the same kind on the same date for one child
    (0, 1, ...); with the child, kind and start date it is the event's natural key.
    ``ref`` is an opaque identifier (the database row id) carried through untouched.
    """

    kind: str
    start: date
    end: date | None = None
    occurrence: int = 0
    attrs: Mapping[str, Any] = field(default_factory=dict)
    ref: int | str | None = None

    def get(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)
