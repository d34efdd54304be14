"""Sampling maths for audits: how many to audit, how to share them across strata, and the draw.

Everything is pure and reproducible: a draw depends only on the frame, the seed and the
options, and records a hash of its frame so a later check can show the frame was the same.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .errors import SamplingError

__all__ = [
    "ALLOCATIONS",
    "METHODS",
    "Z_VALUES",
    "Draw",
    "SampleSize",
    "allocate",
    "describe_draw",
    "draw",
    "frame_hash",
    "sample_size",
]

Z_VALUES = {0.90: 1.644854, 0.95: 1.959964, 0.99: 2.575829}
METHODS = ("random", "stratified", "purposive")
ALLOCATIONS = ("proportional", "equal")


@dataclass(frozen=True)
class SampleSize:
    """A sample size with the inputs and the working that produced it, for the audit record."""

    n: int
    n0: float
    population: int
    p: float
    margin: float
    confidence: float
    z: float
    working: str


def _num(x: float, places: int = 2) -> str:
    text = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return text or "0"


def sample_size(
    population: int, p: float = 0.5, margin: float = 0.05, confidence: float = 0.95
) -> SampleSize:
    """Cases to audit to estimate a proportion within ``±margin`` at ``confidence``.

    ``n0 = z² · p(1 − p) / e²``, corrected for a finite population of N:
    ``n = ceil(n0 / (1 + (n0 − 1) / N))``. Use p = 0.5 when nothing is known (the largest n).

    Examples
    --------
    >>> sample_size(500).n
    218
    >>> sample_size(400, p=0.7).n
    179
    >>> print(sample_size(500).working)
    To estimate a proportion of about 50% to within ±5 percentage points with 95% confidence \
from 500 children, audit 218.
    n0 = z² × p × (1 − p) ÷ e² = 1.959964² × 0.5 × 0.5 ÷ 0.05² = 384.15
    n = n0 ÷ (1 + (n0 − 1) ÷ N) = 384.15 ÷ (1 + 383.15 ÷ 500) = 217.49, rounded up to 218
    """
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise SamplingError(f"the population must be a whole number, 0 or more; got {population!r}")
    if not 0 < p < 1:
        raise SamplingError(f"the expected proportion must be between 0 and 1, got {p}")
    if not 0 < margin < 1:
        raise SamplingError(f"the margin of error must be between 0 and 1, got {margin}")
    z = Z_VALUES.get(round(confidence, 4))
    if z is None:
        levels = ", ".join(f"{c:.0%}" for c in Z_VALUES)
        raise SamplingError(f"the confidence level must be one of {levels}; got {confidence}")
    n0 = z * z * p * (1 - p) / (margin * margin)
    if population == 0:
        return SampleSize(0, n0, 0, p, margin, confidence, z, "There are no children to sample.")
    exact = n0 / (1 + (n0 - 1) / population)
    # round first so that float noise (217.0000000001) does not add a case
    n = min(population, math.ceil(round(exact, 9)))
    working = "\n".join(
        [
            f"To estimate a proportion of about {p:.0%} to within ±{_num(margin * 100)} "
            f"percentage points with {confidence:.0%} confidence from {population} "
            f"{'child' if population == 1 else 'children'}, audit {n}.",
            f"n0 = z² × p × (1 − p) ÷ e² = {z}² × {_num(p)} × {_num(1 - p)} ÷ "
            f"{_num(margin, 4)}² = {n0:.2f}",
            f"n = n0 ÷ (1 + (n0 − 1) ÷ N) = {n0:.2f} ÷ (1 + {n0 - 1:.2f} ÷ {population}) "
            f"= {exact:.2f}, rounded up to {n}",
        ]
    )
    return SampleSize(n, n0, population, p, margin, confidence, z, working)


def _check_sizes(strata_sizes: Mapping[str, int], n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise SamplingError(f"the sample size must be a whole number, 0 or more; got {n!r}")
    for name, size in strata_sizes.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise SamplingError(f"stratum '{name}' has an impossible size {size!r}")


def _proportional(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    total = sum(sizes.values())
    quota = {s: Fraction(n * size, total) for s, size in sizes.items()}
    alloc = {s: math.floor(q) for s, q in quota.items()}
    # largest remainder; ties to the larger stratum, then by name, so the result is stable
    order = sorted(sizes, key=lambda s: (-(quota[s] - alloc[s]), -sizes[s], s))
    for s in order[: n - sum(alloc.values())]:
        alloc[s] += 1
    nonempty = [s for s, size in sizes.items() if size > 0]
    if n >= len(nonempty):
        for lifted in [s for s in nonempty if alloc[s] == 0]:
            alloc[lifted] = 1
            # take the case back where it was least owed: the reverse of largest-remainder order
            donors = [s for s in nonempty if alloc[s] > 1]
            donor = min(donors, key=lambda s: (quota[s] - alloc[s], sizes[s], s))
            alloc[donor] -= 1
    return alloc


def _equal(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    alloc = dict.fromkeys(sizes, 0)
    remaining = n
    while remaining:
        open_ = sorted(
            (s for s in sizes if alloc[s] < sizes[s]), key=lambda s: (alloc[s] - sizes[s], s)
        )
        share = remaining // len(open_)
        if share == 0:  # fewer cases left than strata: one each to those with most room
            for s in open_[:remaining]:
                alloc[s] += 1
            break
        for s in open_:
            give = min(share, sizes[s] - alloc[s])
            alloc[s] += give
            remaining -= give
    return alloc


def allocate(
    strata_sizes: Mapping[str, int], n: int, method: str = "proportional"
) -> dict[str, int]:
    """Share a sample of ``n`` across strata.

    ``proportional``: in proportion to stratum size, rounded by largest remainder. When
    ``n`` is at least the number of non-empty strata, each non-empty stratum gets at least
    one; the cases for those lifted strata are taken back from the others in reverse
    largest-remainder order, so only the lifted strata depart from proportion.
    ``equal``: the same number from each non-empty stratum, a small stratum's shortfall
    shared among the others. No stratum gets more than its size; when ``n`` is at least
    the total, every case is taken. The result sums to ``min(n, total)``.

    Examples
    --------
    >>> allocate({"North": 60, "South": 30, "East": 10}, 10)
    {'North': 6, 'South': 3, 'East': 1}
    >>> allocate({"North": 97, "South": 2, "East": 1}, 4)
    {'North': 2, 'South': 1, 'East': 1}
    >>> allocate({"North": 60, "South": 30, "East": 2}, 10, method="equal")
    {'North': 4, 'South': 4, 'East': 2}
    """
    _check_sizes(strata_sizes, n)
    if method not in ALLOCATIONS:
        raise SamplingError(f"unknown allocation '{method}' (one of {', '.join(ALLOCATIONS)})")
    if n >= sum(strata_sizes.values()):
        return dict(strata_sizes)
    if method == "equal":
        return _equal(strata_sizes, n)
    return _proportional(strata_sizes, n)


def frame_hash(ids: Sequence[str]) -> str:
    """SHA-256 of the sorted ids joined by newlines: the same frame in any order, the same hash.

    Examples
    --------
    >>> frame_hash(["b", "a"]) == frame_hash(["a", "b"])
    True
    >>> frame_hash(["a", "b"]) == frame_hash(["a", "c"])
    False
    """
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Draw:
    """A drawn sample: the children in draw order, the reserves in the order to use them.

    ``strata_sizes`` and ``allocated`` give the frame and the sample per stratum (empty
    unless stratified); ``reserves_allocated`` the reserves per stratum.
    """

    sample: tuple[str, ...]
    reserves: tuple[str, ...]
    frame_hash: str
    frame_size: int
    seed: int
    method: str
    requested: int
    allocation: str | None = None
    marker: str | None = None
    strata_sizes: dict[str, int] = field(default_factory=dict)
    allocated: dict[str, int] = field(default_factory=dict)
    reserves_allocated: dict[str, int] = field(default_factory=dict)


def draw(
    frame_ids: Sequence[str],
    n: int,
    seed: int,
    *,
    method: str = "random",
    strata: Mapping[str, str] | None = None,
    allocation: str = "proportional",
    scores: Mapping[str, float] | None = None,
    marker: str | None = None,
    reserves: int = 0,
) -> Draw:
    """Draw ``n`` children (and ``reserves`` more, in order) from a frame of ids.

    ``random``: ``random.Random(seed)`` shuffles the sorted frame; the sample is the first
    ``n``, the reserves the next ones, so a larger ``n`` only adds to a smaller one.
    ``stratified``: ``strata`` maps every id to its stratum; each stratum (in name order) is
    shuffled the same way and the sample of each is sized by :func:`allocate`, as are the
    reserves from what is left. ``purposive``: the ``n`` ids with the highest ``scores``
    (ties by id), reserves next; without ``scores``, the whole frame. When ``n`` is more
    than the frame, the whole frame is taken.

    Examples
    --------
    >>> frame = [f"C{i:03}" for i in range(1, 101)]
    >>> first = draw(frame, 5, seed=48213, reserves=2)
    >>> first == draw(list(reversed(frame)), 5, seed=48213, reserves=2)
    True
    >>> len(first.sample), len(first.reserves), first.frame_size
    (5, 2, 100)
    >>> draw(["a", "b", "c"], 2, 1, method="purposive", scores={"a": 1, "b": 5, "c": 3}).sample
    ('b', 'c')
    """
    ids = sorted(frame_ids)
    if len(set(ids)) != len(ids):
        raise SamplingError("the frame lists a child more than once")
    _check_sizes({}, n)
    if isinstance(reserves, bool) or not isinstance(reserves, int) or reserves < 0:
        raise SamplingError(f"the number of reserves must be 0 or more, got {reserves!r}")
    if method not in METHODS:
        raise SamplingError(f"unknown method '{method}' (one of {', '.join(METHODS)})")
    if strata is not None and method != "stratified":
        raise SamplingError("strata are only used by a stratified draw")
    if scores is not None and method != "purposive":
        raise SamplingError("scores are only used by a purposive draw")
    base = Draw((), (), frame_hash(ids), len(ids), seed, method, n)
    if method == "random":
        order = list(ids)
        random.Random(seed).shuffle(order)
        return replace(base, sample=tuple(order[:n]), reserves=tuple(order[n : n + reserves]))
    if method == "purposive":
        if scores is None:
            return replace(base, sample=tuple(ids), marker=marker)
        unscored = [i for i in ids if i not in scores]
        if unscored:
            what = marker or "score"
            raise SamplingError(f"{len(unscored)} children in the frame have no {what}")
        ranked = sorted(ids, key=lambda i: (-scores[i], i))
        return replace(
            base,
            sample=tuple(ranked[:n]),
            reserves=tuple(ranked[n : n + reserves]),
            marker=marker,
        )
    if strata is None:
        raise SamplingError("a stratified draw needs the stratum of every child")
    missing = [i for i in ids if i not in strata]
    if missing:
        raise SamplingError(f"{len(missing)} children in the frame have no stratum")
    members: dict[str, list[str]] = {}
    for i in ids:
        members.setdefault(strata[i], []).append(i)
    rng = random.Random(seed)
    for name in sorted(members):
        rng.shuffle(members[name])
    sizes = {name: len(members[name]) for name in sorted(members)}
    alloc = allocate(sizes, n, allocation)
    left = {name: sizes[name] - alloc[name] for name in sizes}
    reserve_alloc = allocate(left, reserves, allocation)
    sample = [i for name in sizes for i in members[name][: alloc[name]]]
    spare = [
        i for name in sizes for i in members[name][alloc[name] : alloc[name] + reserve_alloc[name]]
    ]
    return replace(
        base,
        sample=tuple(sample),
        reserves=tuple(spare),
        allocation=allocation,
        strata_sizes=sizes,
        allocated=alloc,
        reserves_allocated=reserve_alloc,
    )


def _children(count: int) -> str:
    return f"{count} {'child' if count == 1 else 'children'}"


def describe_draw(
    result: Draw,
    *,
    frame_description: str,
    exclusions: str = "",
    stratified_by: str = "stratum",
) -> str:
    """One plain-English paragraph saying how the sample was drawn, for the audit record.

    ``frame_description`` follows "from 412 children" (for example "referred between 1 April
    and 30 September 2025"); ``exclusions`` follows "after excluding".

    Examples
    --------
    >>> frame = [f"C{i:03}" for i in range(412)]
    >>> teams = {c: ("North", "South")[int(c[1:]) % 2] for c in frame}
    >>> d = draw(frame, 30, 48213, method="stratified", strata=teams, reserves=3)
    >>> print(describe_draw(d, frame_description="referred between 1 April and 30 September 2025",
    ...                     exclusions="4 children audited in the last 6 months",
    ...                     stratified_by="team"))
    30 children drawn at random, stratified by team in proportion, from 412 children referred \
between 1 April and 30 September 2025, after excluding 4 children audited in the last 6 months; \
seed 48213. 3 reserves drawn in order to replace children who cannot be audited.
    """
    size = len(result.sample)
    everyone = size == result.frame_size and size > 0
    if result.method == "purposive":
        if result.marker and not everyone:
            how = f"{_children(size)} with the highest {result.marker} chosen"
        else:
            how = f"All {_children(size)} chosen"
    elif everyone:
        how = f"All {_children(size)} taken"
    else:
        how = f"{_children(size)} drawn at random"
        if result.method == "stratified":
            spread = "in proportion" if result.allocation == "proportional" else "in equal numbers"
            how += f", stratified by {stratified_by} {spread},"
    sentence = f"{how} from {_children(result.frame_size)}"
    if frame_description:
        sentence += f" {frame_description.strip()}"
    if exclusions:
        sentence += f", after excluding {exclusions.strip()}"
    if result.method != "purposive":
        sentence += f"; seed {result.seed}"
    sentence += "."
    if result.reserves:
        count = len(result.reserves)
        sentence += (
            f" {count} {'reserve' if count == 1 else 'reserves'} drawn in order to replace "
            "children who cannot be audited."
        )
    return sentence
