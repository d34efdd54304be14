"""Pure domain: a child's events in, a networkx journey graph and findings out.

Standard library and networkx only; inputs and outputs are plain dataclasses.
"""

from .calendar import add_working_days, is_working_day, working_days_between
from .errors import JourneyError
from .events import EVENT_FIELDS, EVENT_KINDS, KIND_LABELS, Child, Event

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
]
