"""Bank holidays for England and Wales, supplied to ``journeys`` as data."""

from datetime import date
from functools import lru_cache

import holidays

__all__ = ["bank_holidays"]


@lru_cache(maxsize=1)
def bank_holidays(first_year: int = 2000, last_year: int = 2040) -> frozenset[date]:
    """England and Wales bank holidays (the ``holidays`` package, subdivision ENG)."""
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return frozenset(days.keys())
