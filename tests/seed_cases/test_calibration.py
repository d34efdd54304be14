"""On 20,000 children every calibrated rate lands near England's 2024-25 figure."""

import pytest

from seed_cases import generate

from .measure import measure

TARGETS = {  # rate: (England 2024-25, tolerance)
    "re_referral": (0.226, 0.02),
    "nfa": (0.065, 0.02),
    "median_duration": (33, 3),
    "over_45": (0.143, 0.02),
    "s47_to_icpc": (0.31, 0.02),
    "icpc_in_15": (0.814, 0.02),
    "neglect": (0.50, 0.02),
    "emotional": (0.33, 0.02),
    "domestic_abuse": (1 / 3, 0.02),
    "mental_health": (1 / 3, 0.02),
    "source_police": (0.29, 0.02),
    "source_schools": (0.20, 0.02),
    "source_health": (0.15, 0.02),
    "source_la_services": (0.12, 0.02),
    "source_individual": (0.07, 0.02),
    "conversion": (0.40, 0.03),
}


@pytest.fixture(scope="module")
def authority():
    return generate(20_000, seed=2025)


@pytest.fixture(scope="module")
def rates(authority):
    return measure(authority)


@pytest.mark.slow
@pytest.mark.parametrize("name", TARGETS)
def test_rate_is_calibrated(rates, name):
    target, tolerance = TARGETS[name]
    assert abs(rates[name] - target) <= tolerance, f"{name} = {rates[name]:.3f}, want {target}"


@pytest.mark.slow
def test_plenty_of_each_kind(rates):
    counts = rates["_counts"]
    assert counts["referrals"] > 10_000 and counts["s47"] > 3_000 and counts["s47_icpc"] > 800


@pytest.mark.slow
def test_no_event_ends_before_it_starts(authority):
    # The importer rejects such rows, so the round trip would silently lose them.
    backwards = [(case.child.child_id, event.kind) for case in authority.iter_cases()
                 for event in case.events if event.end is not None and event.end < event.start]
    assert backwards == []
