"""A synthetic local authority for demos, tests and benchmarks. No real person is in it."""

from .awkward import awkward_cases
from .calendar import england_bank_holidays
from .generator import Authority, Case, Team, generate

__all__ = ["Authority", "Case", "Team", "generate", "awkward_cases", "england_bank_holidays"]
