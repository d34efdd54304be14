"""Flows across a cohort of journeys: stage-to-stage counts for a Sankey, the commonest paths."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .findings import NFA, STAGES, JourneySummary

__all__ = ["Flow", "CohortFlows", "cohort_flows"]

_ORDER = {stage: i for i, stage in enumerate((*STAGES, NFA))}


@dataclass(frozen=True, slots=True)
class Flow:
    """``count`` children went from stage ``source`` straight to stage ``target``."""

    source: str
    target: str
    count: int


@dataclass(frozen=True, slots=True)
class CohortFlows:
    """The flows of a cohort.

    ``children`` is the cohort's size (children without events included);
    ``stage_counts`` how many children reached each stage; ``furthest`` how many
    went no further than each stage; ``transitions`` the Sankey links (each child
    counted once per link, along its ``stages``); ``paths`` the commonest stage
    paths, most frequent first; ``summaries`` the per-child summaries by child id.
    """

    children: int
    stage_counts: dict[str, int]
    furthest: dict[str, int]
    transitions: tuple[Flow, ...]
    paths: tuple[tuple[str, int], ...]
    summaries: dict[str, JourneySummary]

    def to_dict(self) -> dict[str, Any]:
        return {
            "children": self.children,
            "stage_counts": dict(self.stage_counts),
            "furthest": dict(self.furthest),
            "transitions": [
                {"source": f.source, "target": f.target, "count": f.count} for f in self.transitions
            ],
            "paths": [{"path": p, "count": n} for p, n in self.paths],
            "summaries": {k: s.to_dict() for k, s in self.summaries.items()},
        }


def cohort_flows(
    summaries: Mapping[str, JourneySummary] | Iterable[JourneySummary], *, top: int = 10
) -> CohortFlows:
    """Stage-to-stage counts, commonest paths and per-child summaries for a cohort.

    Each child's ``stages`` (the order its journey first reached each stage, ending
    "nfa" where it stopped there) gives one link per consecutive pair, so contact →
    referral → assessment → its outcome (CIN, S47, early help, NFA) → CP plan →
    looked after.  A stage path is those stages joined with " → ".

    Parameters
    ----------
    summaries : mapping of child id to JourneySummary, or iterable of JourneySummary
        Without ids, children are numbered "1", "2", ... in the order given.
    top : int
        How many of the commonest paths to return.

    Returns
    -------
    CohortFlows

    Examples
    --------
    >>> a = JourneySummary(stages=("contact", "referral", "assessment", "cin"),
    ...                    furthest_stage="cin")
    >>> b = JourneySummary(stages=("contact", "referral", "nfa"), furthest_stage="referral")
    >>> flows = cohort_flows({"c1": a, "c2": b, "c3": a})
    >>> [(f.source, f.target, f.count) for f in flows.transitions]  # doctest: +NORMALIZE_WHITESPACE
    [('contact', 'referral', 3), ('referral', 'assessment', 2), ('referral', 'nfa', 1),
     ('assessment', 'cin', 2)]
    >>> flows.paths[0]
    ('contact → referral → assessment → cin', 2)
    """
    if isinstance(summaries, Mapping):
        by_child = dict(summaries)
    else:
        by_child = {str(i): s for i, s in enumerate(summaries, start=1)}
    links: Counter[tuple[str, str]] = Counter()
    reached: Counter[str] = Counter()
    furthest: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    for summary in by_child.values():
        stages = summary.stages
        reached.update(set(stages))
        links.update(set(zip(stages, stages[1:], strict=False)))
        if summary.furthest_stage:
            furthest[summary.furthest_stage] += 1
        if stages:
            paths[" → ".join(stages)] += 1

    def rank(stage: str) -> int:
        return _ORDER.get(stage, len(_ORDER))

    return CohortFlows(
        children=len(by_child),
        stage_counts={s: reached[s] for s in sorted(reached, key=rank)},
        furthest={s: furthest[s] for s in sorted(furthest, key=rank)},
        transitions=tuple(
            Flow(a, b, n)
            for (a, b), n in sorted(links.items(), key=lambda kv: (rank(kv[0][0]), rank(kv[0][1])))
        ),
        paths=tuple(sorted(paths.items(), key=lambda kv: (-kv[1], kv[0]))[:top]),
        summaries=by_child,
    )
