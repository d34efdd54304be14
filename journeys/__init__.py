"""Pure domain: a child's events in, a networkx journey graph and findings out.

Standard library and networkx only; inputs and outputs are plain dataclasses.
"""

from .anomalies import ANOMALY_CODES, Anomaly, detect_anomalies
from .calendar import add_working_days, is_working_day, working_days_between
from .cohort import CohortFlows, Flow, cohort_flows
from .errors import JourneyError
from .events import EVENT_FIELDS, EVENT_KINDS, KIND_LABELS, Child, Event
from .findings import (
    STAGE_LABELS,
    STAGES,
    JourneyStatus,
    JourneySummary,
    OpenEpisode,
    PlanSpan,
    ReferralFinding,
    status_at,
    summarise_journey,
)
from .graph import DEFAULT_LINK_RULES, LinkRule, build_journey, reading_order
from .timeliness import DEFAULT_TIMELINESS_RULES, Timeliness, TimelinessRule, check_timeliness

__all__ = [
    "Child",
    "Event",
    "EVENT_FIELDS",
    "EVENT_KINDS",
    "KIND_LABELS",
    "JourneyError",
    "add_working_days",
    "is_working_day",
    "working_days_between",
    "LinkRule",
    "DEFAULT_LINK_RULES",
    "build_journey",
    "reading_order",
    "TimelinessRule",
    "Timeliness",
    "DEFAULT_TIMELINESS_RULES",
    "check_timeliness",
    "ANOMALY_CODES",
    "Anomaly",
    "detect_anomalies",
    "STAGES",
    "STAGE_LABELS",
    "JourneySummary",
    "JourneyStatus",
    "ReferralFinding",
    "PlanSpan",
    "OpenEpisode",
    "summarise_journey",
    "status_at",
    "Flow",
    "CohortFlows",
    "cohort_flows",
]
