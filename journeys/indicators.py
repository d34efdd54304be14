"""Arithmetic of the evidence base (SEF Appendix B): bands, rates, medians and cohort-wide linking.

Pure helpers for indicators computed over a whole authority at once: a working-day
counter on day ordinals that gives exactly :func:`journeys.working_days_between`,
the DfE duration bands, rounding of rates, age bands and ethnic groups, and
:func:`link_latest`, which applies one of the journey link rules
(:data:`journeys.DEFAULT_LINK_RULES`) to many children in one pass, so that an
indicator links events the way a child's journey graph does.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta

from ._dates import add_months
from .calendar import is_working_day
from .errors import JourneyError
from .graph import LinkRule

__all__ = [
    "ASSESSMENT_BANDS",
    "ICPC_BANDS",
    "AGE_BANDS",
    "ETHNIC_GROUPS",
    "WorkingDayIndex",
    "band_of",
    "band_counts",
    "percent",
    "per_10000",
    "median",
    "quartiles",
    "age_band",
    "ethnic_group",
    "is_high_nfa",
    "link_latest",
    "add_months",
]

Band = tuple[str, int, int | None]

#: The DfE's assessment duration bands (working days from the referral).
ASSESSMENT_BANDS: tuple[Band, ...] = (
    ("Same day", 0, 0),
    ("1–10", 1, 10),
    ("11–20", 11, 20),
    ("21–30", 21, 30),
    ("31–40", 31, 40),
    ("41–45", 41, 45),
    ("46–50", 46, 50),
    ("51–60", 51, 60),
    ("61+", 61, None),
)
#: Working days from the strategy discussion to the initial conference.
ICPC_BANDS: tuple[Band, ...] = (
    ("0–10", 0, 10),
    ("11–15", 11, 15),
    ("16–20", 16, 20),
    ("21+", 21, None),
)
#: The CIN census age bands, plus unborn and unknown.
AGE_BANDS: tuple[str, ...] = (
    "Unborn",
    "Under 1",
    "1–4",
    "5–9",
    "10–15",
    "16–17",
    "18 and over",
    "Not known",
)
#: The DfE's major ethnic groups, keyed by the first letter of the CBDS code.
ETHNIC_GROUPS: dict[str, str] = {
    "W": "White",
    "M": "Mixed or multiple",
    "A": "Asian or Asian British",
    "B": "Black or Black British",
    "O": "Other ethnic group",
}
_NOT_KNOWN_ETHNICITY = "Refused or not obtained"

#: A source's NFA rate is "high" when it has at least this many referrals and its
#: rate is at least ``HIGH_NFA_RATIO`` times the authority's own rate for the period.
HIGH_NFA_MIN_REFERRALS = 10
HIGH_NFA_RATIO = 1.5


class WorkingDayIndex:
    """Working days between day ordinals in O(1): a cumulative count over a date range.

    ``between(a, b)`` equals ``working_days_between(date.fromordinal(a),
    date.fromordinal(b), holidays)`` for ordinals inside ``[first, last]``
    (start day is day 0, negative when ``b`` is earlier).

    Examples
    --------
    >>> wd = WorkingDayIndex(date(2026, 12, 1), date(2027, 1, 31), {date(2026, 12, 25)})
    >>> wd.between(date(2026, 12, 24).toordinal(), date(2026, 12, 29).toordinal())
    2
    >>> wd.between(date(2026, 12, 29).toordinal(), date(2026, 12, 24).toordinal())
    -2
    """

    __slots__ = ("first", "last", "_base", "_cum")

    def __init__(self, first: date, last: date, holidays: Collection[date] = frozenset()) -> None:
        if last < first:
            raise JourneyError(f"WorkingDayIndex needs first <= last, got {first} and {last}")
        self.first, self.last = first, last
        self._base = first.toordinal()
        cum: list[int] = []
        count, day = 0, first
        while day <= last:
            if day != first and is_working_day(day, holidays):
                count += 1
            cum.append(count)
            day += timedelta(days=1)
        self._cum = cum

    def between(self, start: int, end: int) -> int:
        """Working days from ordinal ``start`` (day 0) to ordinal ``end``."""
        cum, base = self._cum, self._base
        if not (0 <= start - base < len(cum) and 0 <= end - base < len(cum)):
            raise JourneyError(
                f"{date.fromordinal(start)} or {date.fromordinal(end)} is outside "
                f"{self.first}..{self.last}"
            )
        return cum[end - base] - cum[start - base]


def band_of(days: int, bands: Sequence[Band]) -> str | None:
    """The label of the band ``days`` falls in; None for a negative or uncovered count.

    Examples
    --------
    >>> band_of(0, ASSESSMENT_BANDS), band_of(45, ASSESSMENT_BANDS), band_of(61, ASSESSMENT_BANDS)
    ('Same day', '41–45', '61+')
    >>> band_of(-1, ICPC_BANDS) is None
    True
    """
    for label, low, high in bands:
        if days >= low and (high is None or days <= high):
            return label
    return None


def band_counts(values: Iterable[int], bands: Sequence[Band]) -> dict[str, int]:
    """How many values fall in each band, every band listed (in order), zeros included.

    Examples
    --------
    >>> band_counts([0, 10, 11, 15, 16, 40], ICPC_BANDS)
    {'0–10': 2, '11–15': 2, '16–20': 1, '21+': 1}
    """
    counts = {label: 0 for label, _, _ in bands}
    for value, n in Counter(values).items():  # each distinct count banded once
        label = band_of(value, bands)
        if label is not None:
            counts[label] += n
    return counts


def percent(numerator: int, denominator: int | None) -> float | None:
    """``numerator / denominator`` as a percentage to one decimal place; None when n is 0.

    Examples
    --------
    >>> percent(1, 3), percent(0, 0)
    (33.3, None)
    """
    if not denominator:
        return None
    return round(100 * numerator / denominator, 1)


def per_10000(count: int, population: int | None) -> float | None:
    """A rate per 10,000 of ``population`` to one decimal place; None without a population.

    Examples
    --------
    >>> per_10000(33, 1000), per_10000(5, None)
    (330.0, None)
    """
    if not population or population <= 0:
        return None
    return round(10000 * count / population, 1)


def median(values: Sequence[float]) -> float | None:
    """The median (the mean of the middle two for an even count); None when empty.

    Examples
    --------
    >>> median([3, 1, 2]), median([1, 2, 3, 10]), median([])
    (2, 2.5, None)
    """
    if not values:
        return None
    return statistics.median(values)


def quartiles(values: Sequence[float]) -> tuple[float, float] | None:
    """Lower and upper quartiles by linear interpolation (as spreadsheets and pandas do).

    Examples
    --------
    >>> quartiles([1, 2, 3, 4, 5])
    (2.0, 4.0)
    >>> quartiles([7]) is None
    True
    """
    if len(values) < 2:
        return None
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def age_band(dob: date | None, expected_dob: date | None, on: date) -> str:
    """The child's age band on date ``on`` (unborn before the birth or expected birth).

    Examples
    --------
    >>> age_band(date(2020, 6, 1), None, date(2025, 5, 31)), age_band(date(2020, 6, 1), None,
    ...     date(2025, 6, 1))
    ('1–4', '5–9')
    >>> age_band(None, date(2026, 1, 1), date(2025, 12, 1)), age_band(None, None, date(2025, 1, 1))
    ('Unborn', 'Not known')
    """
    birth = dob or expected_dob
    if birth is None:
        return AGE_BANDS[-1]
    if on < birth or (dob is None and expected_dob is not None and on < expected_dob):
        return "Unborn"
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if years < 1:
        return "Under 1"
    for label, top in (("1–4", 4), ("5–9", 9), ("10–15", 15), ("16–17", 17)):
        if years <= top:
            return label
    return "18 and over"


def ethnic_group(code: str | None) -> str:
    """The DfE major ethnic group of a CBDS ethnicity code.

    Examples
    --------
    >>> ethnic_group("WBRI"), ethnic_group("CHNE"), ethnic_group("NOBT"), ethnic_group(None)
    ('White', 'Other ethnic group', 'Refused or not obtained', 'Refused or not obtained')
    """
    if not code or code.upper() in ("REFU", "NOBT"):
        return _NOT_KNOWN_ETHNICITY
    code = code.upper()
    if code == "CHNE":
        return ETHNIC_GROUPS["O"]
    return ETHNIC_GROUPS.get(code[0], _NOT_KNOWN_ETHNICITY)


def is_high_nfa(nfa: int, referrals: int, overall_rate: float | None) -> bool:
    """Whether a source's NFA rate is high: enough referrals, and 1.5 times the overall rate.

    Examples
    --------
    >>> is_high_nfa(3, 20, 6.5), is_high_nfa(1, 20, 6.5), is_high_nfa(3, 9, 6.5)
    (True, False, False)
    """
    if referrals < HIGH_NFA_MIN_REFERRALS or overall_rate is None:
        return False
    rate = 100 * nfa / referrals
    return rate > 0 and rate >= HIGH_NFA_RATIO * overall_rate


def link_latest(
    rule: LinkRule,
    causes: Mapping[int, tuple[Sequence[int], Sequence[int]]],
    targets: Iterable[tuple[int, int, int]],
) -> dict[int, tuple[int, bool]]:
    """Link each target to its cause by ``rule``, across many children in one pass.

    The same choice :func:`journeys.build_journey` makes for a rule with
    ``measure="start"``: the latest cause begun on or before the target within
    ``window_days`` (ties: the later occurrence), on the same day when the rule is
    ``same_day``; failing that, the earliest cause up to ``grace_days`` *after* the
    target, reported as ``later=True``.  With ``exclusive``, a cause leads to at most
    one target, the targets taking causes in date order.

    Parameters
    ----------
    rule : LinkRule
        A rule with ``measure="start"`` (contact → referral, referral → assessment,
        S47 → ICPC, ICPC → CP plan).
    causes : mapping of child to (day ordinals, ids)
        Each child's candidate causes as two parallel lists, in date order (then
        occurrence).
    targets : iterable of (child, day ordinal, id)
        In date order (then occurrence) within each child.

    Returns
    -------
    dict
        target id -> (cause id, later).  Targets with no cause are absent.

    Examples
    --------
    >>> from journeys import DEFAULT_LINK_RULES
    >>> rule = next(r for r in DEFAULT_LINK_RULES if r.name == "s47_to_icpc")
    >>> d = date(2026, 1, 5).toordinal()
    >>> link_latest(rule, {1: ([d, d + 200], [10, 11])}, [(1, d + 20, 90), (1, d + 190, 91)])
    {90: (10, False), 91: (11, True)}
    """
    if rule.measure != "start":
        raise JourneyError(f"link_latest handles rules measured from the start, not {rule.name!r}")
    window = rule.window_days
    grace = rule.grace_days
    exclusive = rule.exclusive
    same_day = rule.same_day
    found: dict[int, tuple[int, bool]] = {}
    used: set[int] = set()
    for child, day, target_id in targets:
        pair = causes.get(child)
        if pair is None:
            continue
        days, ids = pair
        after = bisect_right(days, day)
        i = after - 1
        hit: int | None = None
        while i >= 0:
            gap = day - days[i]
            if (same_day and gap) or (window is not None and gap > window):
                break
            if not (exclusive and ids[i] in used):
                hit = ids[i]
                break
            i -= 1
        later = False
        if hit is None and grace:
            j = after
            while j < len(days) and days[j] - day <= grace:
                if not (exclusive and ids[j] in used):
                    hit, later = ids[j], True
                    break
                j += 1
        if hit is not None:
            found[target_id] = (hit, later)
            if exclusive:
                used.add(hit)
    return found
