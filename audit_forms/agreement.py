"""Agreement between an auditor's and a moderator's grades, for moderation reports.

Grades are indexes on the scale (0 is best). Exact agreement and agreement within one
grade are :class:`~audit_forms.rollup.Proportion` objects (with n and a Wilson interval);
kappa is linear-weighted Cohen's kappa, computed exactly with fractions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from .errors import AuditFormsError
from .rollup import Proportion, proportion
from .templates import OFSTED_SCALE, GradeScale

__all__ = [
    "Agreement",
    "Kappa",
    "agreement",
    "exact_agreement",
    "grade_pairs",
    "weighted_kappa",
    "within_one_agreement",
]

Pair = tuple[int, int]


@dataclass(frozen=True)
class Kappa:
    """A kappa ``value`` over ``n`` pairs, or None with the ``reason`` it is undefined."""

    value: float | None
    n: int
    reason: str | None = None


@dataclass(frozen=True)
class Agreement:
    """Exact, within-one and weighted-kappa agreement over the same ``n`` pairs."""

    n: int
    exact: Proportion
    within_one: Proportion
    kappa: Kappa


def grade_pairs(
    graded: Iterable[tuple[str | None, str | None]], scale: GradeScale = OFSTED_SCALE
) -> list[Pair]:
    """Turn (auditor grade, moderator grade) values into index pairs, skipping incomplete pairs.

    Examples
    --------
    >>> grade_pairs([("good", "requires_improvement"), ("good", None)])
    [(1, 2)]
    """
    pairs: list[Pair] = []
    for first, second in graded:
        if first and second:
            pairs.append((_index(scale, first), _index(scale, second)))
    return pairs


def _index(scale: GradeScale, value: str) -> int:
    if value not in scale.values:
        raise AuditFormsError(f"'{value}' is not on the grade scale")
    return scale.values.index(value)


def _checked(pairs: Iterable[Pair], categories: int) -> list[Pair]:
    if categories < 2:
        raise AuditFormsError(f"a grade scale has at least two points, got {categories}")
    checked = list(pairs)
    for a, b in checked:
        if not (0 <= a < categories and 0 <= b < categories):
            raise AuditFormsError(f"grade pair {(a, b)} is off a {categories}-point scale")
    return checked


def exact_agreement(pairs: Iterable[Pair]) -> Proportion:
    """The share of pairs with the same grade.

    Examples
    --------
    >>> exact_agreement([(1, 1), (1, 2), (0, 0), (3, 3)]).value
    0.75
    """
    checked = list(pairs)
    return proportion(sum(a == b for a, b in checked), len(checked))


def within_one_agreement(pairs: Iterable[Pair]) -> Proportion:
    """The share of pairs whose grades are at most one point apart.

    Examples
    --------
    >>> within_one_agreement([(1, 1), (1, 2), (0, 3)]).numerator
    2
    """
    checked = list(pairs)
    return proportion(sum(abs(a - b) <= 1 for a, b in checked), len(checked))


def weighted_kappa(pairs: Iterable[Pair], categories: int = 4) -> Kappa:
    """Cohen's kappa with linear weights ``1 - |i - j| / (categories - 1)``.

    ``kappa = (Po - Pe) / (1 - Pe)`` where Po is the mean weight of the observed pairs
    and Pe the weight expected from the two raters' own grade distributions. Undefined
    (value None, with a reason) for fewer than two pairs, or when both raters put every
    case on the same one grade (Pe = 1).

    Examples
    --------
    >>> round(weighted_kappa([(0, 0), (1, 1), (1, 2), (2, 2), (3, 2)]).value, 4)
    0.6154
    >>> weighted_kappa([(1, 1), (1, 1)]).reason
    'every grade from both people is the same, so kappa is undefined'
    """
    checked = _checked(pairs, categories)
    n = len(checked)
    if n < 2:
        return Kappa(None, n, "kappa needs at least two moderated cases")
    span = categories - 1

    def weight(i: int, j: int) -> Fraction:
        return 1 - Fraction(abs(i - j), span)

    observed = sum((weight(a, b) for a, b in checked), Fraction(0)) / n
    first = [sum(1 for a, _ in checked if a == i) for i in range(categories)]
    second = [sum(1 for _, b in checked if b == j) for j in range(categories)]
    expected = sum(
        (weight(i, j) * first[i] * second[j] for i in range(categories) for j in range(categories)),
        Fraction(0),
    ) / (n * n)
    if expected == 1:
        return Kappa(None, n, "every grade from both people is the same, so kappa is undefined")
    return Kappa(float((observed - expected) / (1 - expected)), n)


def agreement(pairs: Iterable[Pair], categories: int = 4) -> Agreement:
    """Exact, within-one and weighted-kappa agreement for (auditor, moderator) index pairs.

    Examples
    --------
    >>> a = agreement(grade_pairs([("good", "good"), ("good", "requires_improvement"),
    ...                            ("inadequate", "inadequate")]))
    >>> a.n, a.exact.numerator, a.within_one.numerator, round(a.kappa.value, 3)
    (3, 2, 3, 0.667)
    """
    checked = _checked(pairs, categories)
    return Agreement(
        n=len(checked),
        exact=exact_agreement(checked),
        within_one=within_one_agreement(checked),
        kappa=weighted_kappa(checked, categories),
    )
