"""Roll-up arithmetic: proportions with Wilson intervals, grade distributions, fair ranking.

Findings are always reported with n. Groups with fewer than :data:`TOO_FEW` cases are not
ranked: they are shown as "too few to compare".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .answers import ParsedAnswer, is_answered
from .errors import AuditFormsError
from .templates import OFSTED_SCALE, GradeScale, Question

__all__ = [
    "TOO_FEW",
    "TOO_FEW_LABEL",
    "Z_95",
    "GradeDistribution",
    "Proportion",
    "RankedGroup",
    "answer_proportion",
    "grade_distribution",
    "option_counts",
    "proportion",
    "rank",
    "wilson_interval",
]

TOO_FEW = 5
TOO_FEW_LABEL = "too few to compare"
Z_95 = 1.959964


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion; None when ``n`` is 0.

    Unlike the textbook ``p ± z·se`` it stays inside [0, 1] and behaves at 0/n and n/n,
    which matters for the small samples audits use.

    Examples
    --------
    >>> low, high = wilson_interval(5, 10)
    >>> round(low, 4), round(high, 4)
    (0.2366, 0.7634)
    >>> wilson_interval(0, 0) is None
    True
    """
    if n < 0 or successes < 0 or successes > n:
        raise AuditFormsError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Proportion:
    """``numerator`` of ``denominator``, its ``value`` (0 to 1) and 95% Wilson interval ``ci``.

    ``value`` and ``ci`` are None when the denominator is 0.
    """

    numerator: int
    denominator: int
    value: float | None
    ci: tuple[float, float] | None

    @property
    def n(self) -> int:
        """The denominator: the number of cases the proportion is of."""
        return self.denominator

    @property
    def too_few(self) -> bool:
        """True when there are fewer than :data:`TOO_FEW` cases to compare."""
        return self.denominator < TOO_FEW

    @property
    def percent(self) -> float | None:
        """The value as a percentage."""
        return None if self.value is None else 100 * self.value

    def label(self) -> str:
        """A plain-English rendering, always with n.

        Examples
        --------
        >>> proportion(13, 21).label()
        '62% (13 of 21)'
        >>> proportion(2, 3).label()
        '2 of 3: too few to compare'
        >>> proportion(0, 0).label()
        'no cases'
        """
        if self.denominator == 0:
            return "no cases"
        if self.too_few:
            return f"{self.numerator} of {self.denominator}: {TOO_FEW_LABEL}"
        return f"{self.percent:.0f}% ({self.numerator} of {self.denominator})"


def proportion(numerator: int, denominator: int, z: float = Z_95) -> Proportion:
    """A :class:`Proportion` with its Wilson interval.

    Examples
    --------
    >>> p = proportion(5, 10)
    >>> p.value, p.too_few, tuple(round(x, 4) for x in p.ci)
    (0.5, False, (0.2366, 0.7634))
    """
    ci = wilson_interval(numerator, denominator, z)
    value = numerator / denominator if denominator else None
    return Proportion(numerator, denominator, value, ci)


@dataclass(frozen=True)
class GradeDistribution:
    """How many cases got each grade (best first), with % good or better and % inadequate."""

    counts: dict[str, int]
    n: int
    good_or_better: Proportion
    inadequate: Proportion


def grade_distribution(
    grades: Iterable[str | None], scale: GradeScale = OFSTED_SCALE
) -> GradeDistribution:
    """Count grades on ``scale``; ungraded (None or blank) cases are left out of n.

    "Inadequate" is the last point of the scale; "good or better" the best
    ``scale.good_or_better`` points.

    Examples
    --------
    >>> d = grade_distribution(["good", "good", "inadequate", "outstanding", None])
    >>> d.counts
    {'outstanding': 1, 'good': 2, 'requires_improvement': 0, 'inadequate': 1}
    >>> d.n, d.good_or_better.numerator, d.inadequate.value
    (4, 3, 0.25)
    """
    counts = dict.fromkeys(scale.values, 0)
    for grade in grades:
        if grade is None or not grade.strip():
            continue
        if grade not in counts:
            raise AuditFormsError(f"'{grade}' is not on the grade scale")
        counts[grade] += 1
    n = sum(counts.values())
    good = sum(counts[v] for v in scale.values[: scale.good_or_better])
    return GradeDistribution(
        counts=counts,
        n=n,
        good_or_better=proportion(good, n),
        inadequate=proportion(counts[scale.values[-1]], n),
    )


def _stored(value: object) -> object:
    return value.to_json() if isinstance(value, ParsedAnswer) else value


def answer_proportion(question: Question, values: Iterable[object]) -> Proportion:
    """The share of answers to ``question`` that are positive.

    Unanswered cases and answers in ``question.not_counted`` (for example "not
    applicable", "too early to say") are left out of the denominator; "partly" counts in
    the denominator but not the numerator.

    Examples
    --------
    >>> from audit_forms.templates import builtin_templates
    >>> seen_alone = builtin_templates()[("core-front-door", 1)].question("seen_alone")
    >>> answer_proportion(seen_alone, ["yes", "partly", "not_applicable", None, "no"]).label()
    '1 of 3: too few to compare'
    """
    if question.type == "multiple_choice" or not question.options:
        raise AuditFormsError(f"'{question.key}' is a {question.type} question: no proportion")
    numerator = denominator = 0
    for raw in values:
        value = _stored(raw)
        if not is_answered(value):
            continue
        if not isinstance(value, str) or value not in question.values:
            raise AuditFormsError(f"{value!r} is not an answer to '{question.key}'")
        if value in question.not_counted:
            continue
        denominator += 1
        numerator += value in question.positive
    return proportion(numerator, denominator)


def option_counts(question: Question, values: Iterable[object]) -> tuple[dict[str, int], int]:
    """How often each option was chosen, and n (the cases answered), for a choice question.

    For a multiple choice the counts can add up to more than n.

    Examples
    --------
    >>> from audit_forms.templates import builtin_templates
    >>> who = builtin_templates()[("core-front-door", 1)].question("strategy_attendees")
    >>> counts, n = option_counts(who, [["police", "health"], ["police"], None])
    >>> counts["police"], counts["health"], counts["education"], n
    (2, 1, 0, 2)
    """
    if not question.options:
        raise AuditFormsError(f"'{question.key}' is a {question.type} question: no options")
    counts = dict.fromkeys(question.values, 0)
    n = 0
    for raw in values:
        value = _stored(raw)
        if not is_answered(value):
            continue
        chosen = [value] if isinstance(value, str) else value
        if not isinstance(chosen, (list, tuple)):
            raise AuditFormsError(f"{value!r} is not an answer to '{question.key}'")
        n += 1
        for item in chosen:
            if item not in counts:
                raise AuditFormsError(f"{item!r} is not an answer to '{question.key}'")
            counts[item] += 1
    return counts, n


@dataclass(frozen=True)
class RankedGroup:
    """A group in a ranking; ``position`` is None when it has too few cases to compare."""

    name: str
    proportion: Proportion
    position: int | None

    @property
    def label(self) -> str:
        """The position as shown, or "too few to compare"."""
        return TOO_FEW_LABEL if self.position is None else str(self.position)


def rank(groups: Mapping[str, Proportion]) -> list[RankedGroup]:
    """Rank groups by value, highest first; groups with n < 5 are listed last, unranked.

    Equal values share a position ("1, 2, 2, 4"); ties and unranked groups are in name order.

    Examples
    --------
    >>> ranked = rank({"North": proportion(6, 8), "South": proportion(3, 4),
    ...                "East": proportion(9, 10)})
    >>> [(g.name, g.label) for g in ranked]
    [('East', '1'), ('North', '2'), ('South', 'too few to compare')]
    """
    comparable = sorted(
        ((name, p) for name, p in groups.items() if not p.too_few and p.value is not None),
        key=lambda item: (-(item[1].value or 0.0), item[0]),
    )
    ranked: list[RankedGroup] = []
    for i, (name, p) in enumerate(comparable):
        same = ranked and ranked[-1].proportion.value == p.value
        position = ranked[-1].position if same and ranked else i + 1
        ranked.append(RankedGroup(name, p, position))
    ranked.extend(
        RankedGroup(name, p, None)
        for name, p in sorted(groups.items())
        if p.too_few or p.value is None
    )
    return ranked
