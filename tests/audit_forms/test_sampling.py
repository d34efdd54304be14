"""Sampling maths: sample sizes, allocation across strata, seeded draws and their description."""

import math
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit_forms.errors import SamplingError
from audit_forms.sampling import allocate, describe_draw, draw, frame_hash, sample_size

FRAME = [f"C{i:04}" for i in range(1, 413)]


class TestSampleSize:
    def test_worked_example_p_half(self):
        # n0 = 1.959964^2 x 0.25 / 0.0025 = 384.146; n = 384.146 / (1 + 383.146/500) = 217.49
        result = sample_size(500, p=0.5, margin=0.05, confidence=0.95)
        assert result.n == 218
        assert result.n0 == pytest.approx(384.146, abs=1e-3)

    def test_worked_example_p_seventy_percent(self):
        # n0 = 3.841459 x 0.21 / 0.0025 = 322.683; n = 322.683 / (1 + 321.683/400) = 178.85
        assert sample_size(400, p=0.7, margin=0.05, confidence=0.95).n == 179

    def test_ninety_percent_confidence(self):
        # n0 = 1.644854^2 x 0.25 / 0.0025 = 270.554; n = 270.554 / 1.539109 = 175.79
        result = sample_size(500, confidence=0.90)
        assert (result.n, result.z) == (176, 1.644854)

    def test_small_populations(self):
        # N = 10: 384.146 / (1 + 383.146/10) = 9.77, so 10: audit everyone
        assert sample_size(10).n == 10
        assert sample_size(1).n == 1
        assert sample_size(0).n == 0

    def test_working_shows_each_step(self):
        working = sample_size(400, p=0.7).working
        assert (
            "to within ±5 percentage points with 95% confidence from 400 children, audit 179"
            in (working)
        )
        assert "1.959964² × 0.7 × 0.3 ÷ 0.05² = 322.68" in working
        assert "= 178.85, rounded up to 179" in working

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"population": -1},
            {"population": 100, "p": 0},
            {"population": 100, "margin": 0},
            {"population": 100, "confidence": 0.8},
        ],
    )
    def test_impossible_inputs(self, kwargs):
        with pytest.raises(SamplingError):
            sample_size(**kwargs)


class TestAllocate:
    def test_proportional_exact(self):
        assert allocate({"North": 60, "South": 30, "East": 10}, 10) == {
            "North": 6,
            "South": 3,
            "East": 1,
        }

    def test_proportional_largest_remainder(self):
        # quotas 3.5, 2.1, 1.4: floors 3 + 2 + 1 = 6, the spare case to the largest remainder (A)
        assert allocate({"A": 50, "B": 30, "C": 20}, 7) == {"A": 4, "B": 2, "C": 1}

    def test_every_non_empty_stratum_gets_one_and_only_it_departs_from_proportion(self):
        # quotas 4.5, 4.4, 1.0, 0.1: largest remainder gives 5, 4, 1, 0. D is lifted to 1 and
        # the case comes back from A, the last to gain one in largest-remainder order.
        assert allocate({"A": 45, "B": 44, "C": 10, "D": 1}, 10) == {
            "A": 4,
            "B": 4,
            "C": 1,
            "D": 1,
        }

    def test_no_minimum_when_there_are_fewer_cases_than_strata(self):
        # quotas 1.0, 0.6, 0.4: one spare case, to B
        assert allocate({"A": 5, "B": 3, "C": 2}, 2) == {"A": 1, "B": 1, "C": 0}

    def test_empty_strata_get_none(self):
        assert allocate({"A": 10, "B": 0, "C": 5}, 3) == {"A": 2, "B": 0, "C": 1}

    def test_taking_everyone(self):
        sizes = {"A": 3, "B": 0, "C": 2}
        assert allocate(sizes, 5) == sizes
        assert allocate(sizes, 50, method="equal") == sizes

    def test_equal(self):
        # 3 each, then the tiny stratum's shortfall shared by the other two
        assert allocate({"A": 60, "B": 30, "C": 2}, 10, method="equal") == {
            "A": 4,
            "B": 4,
            "C": 2,
        }

    def test_equal_with_a_spare_case(self):
        assert allocate({"B": 10, "A": 10, "C": 10}, 10, method="equal") == {
            "B": 3,
            "A": 4,
            "C": 3,
        }

    def test_bad_inputs(self):
        with pytest.raises(SamplingError):
            allocate({"A": 5}, -1)
        with pytest.raises(SamplingError):
            allocate({"A": -5}, 1)
        with pytest.raises(SamplingError):
            allocate({"A": 5}, 1, method="optimal")

    @given(
        sizes=st.dictionaries(
            st.text("ABCDEFGH", min_size=1, max_size=2), st.integers(0, 300), min_size=1, max_size=8
        ),
        n=st.integers(0, 400),
        method=st.sampled_from(["proportional", "equal"]),
    )
    def test_sums_to_n_capped_at_each_stratum(self, sizes, n, method):
        alloc = allocate(sizes, n, method)
        total = sum(sizes.values())
        assert sum(alloc.values()) == min(n, total)
        assert all(0 <= alloc[s] <= sizes[s] for s in sizes)
        nonempty = [s for s in sizes if sizes[s]]
        if n >= len(nonempty):
            assert all(alloc[s] >= 1 for s in nonempty)

    @given(
        sizes=st.dictionaries(
            st.text("ABCDEFGH", min_size=1, max_size=2), st.integers(0, 300), min_size=1, max_size=8
        ),
        n=st.integers(0, 400),
    )
    def test_proportional_within_one_case_per_stratum(self, sizes, n):
        total = sum(sizes.values())
        if n >= total:
            return
        alloc = allocate(sizes, n)
        quota = {s: Fraction(n * sizes[s], total) for s in sizes}
        nonempty = [s for s in sizes if sizes[s]]
        may_be_lifted = [s for s in nonempty if quota[s] < 1 and n >= len(nonempty)]
        if not may_be_lifted:  # the minimum-one rule cannot have applied
            assert all(abs(alloc[s] - quota[s]) < 1 for s in sizes), (alloc, quota)
        for s in sizes:
            # lifting only ever takes cases away from the others
            assert alloc[s] <= max(1, math.ceil(quota[s]))


class TestFrameHash:
    def test_order_does_not_matter(self):
        assert frame_hash(["b", "a", "c"]) == frame_hash(["c", "b", "a"])

    def test_a_changed_frame_changes_the_hash(self):
        assert frame_hash(FRAME) != frame_hash(FRAME[:-1])
        assert frame_hash(FRAME) != frame_hash(FRAME[:-1] + ["C9999"])

    def test_it_is_sha256_of_sorted_ids_on_lines(self):
        # printf 'a\nb' | sha256sum
        assert frame_hash(["b", "a"]) == (
            "7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78"
        )


class TestDraw:
    def test_same_seed_same_sample(self):
        assert draw(FRAME, 30, 48213).sample == draw(FRAME, 30, 48213).sample

    def test_frame_order_does_not_matter(self):
        assert draw(FRAME, 30, 48213) == draw(list(reversed(FRAME)), 30, 48213)

    def test_another_seed_another_sample(self):
        assert draw(FRAME, 30, 48213).sample != draw(FRAME, 30, 48214).sample

    def test_sample_is_from_the_frame_without_repeats(self):
        result = draw(FRAME, 30, 7, reserves=5)
        chosen = result.sample + result.reserves
        assert len(set(chosen)) == 35 and set(chosen) <= set(FRAME)
        assert (result.frame_size, result.frame_hash) == (412, frame_hash(FRAME))

    def test_reserves_are_the_next_draws_in_order(self):
        with_reserves = draw(FRAME, 30, 7, reserves=5)
        longer = draw(FRAME, 35, 7)
        assert with_reserves.sample + with_reserves.reserves == longer.sample
        assert draw(FRAME, 31, 7).sample[-1] == with_reserves.reserves[0]

    def test_more_than_the_frame_takes_everyone(self):
        result = draw(["a", "b", "c"], 10, 1, reserves=2)
        assert sorted(result.sample) == ["a", "b", "c"] and result.reserves == ()

    def test_simple_random_selection_is_uniform(self):
        # 2,000 fixed seeds, 5 of 20 each time: every child is expected 500 times.
        # Chi-square on 19 degrees of freedom; the 0.1% critical value is 43.82.
        frame = [f"X{i:02}" for i in range(20)]
        counts = Counter(i for seed in range(2000) for i in draw(frame, 5, seed).sample)
        chi2 = sum((counts[i] - 500) ** 2 / 500 for i in frame)
        assert chi2 < 43.82

    def test_first_pick_is_uniform_too(self):
        frame = [f"X{i:02}" for i in range(10)]
        counts = Counter(draw(frame, 1, seed).sample[0] for seed in range(3000))
        chi2 = sum((counts[i] - 300) ** 2 / 300 for i in frame)
        assert chi2 < 27.88  # 9 degrees of freedom, 0.1%

    def test_stratified_takes_the_allocation_from_each_stratum(self):
        teams = {c: ("North", "South", "East")[int(c[1:]) % 3] for c in FRAME}
        result = draw(FRAME, 30, 5, method="stratified", strata=teams, reserves=6)
        assert result.strata_sizes == {"East": 137, "North": 137, "South": 138}
        assert result.allocated == allocate(result.strata_sizes, 30)
        assert Counter(teams[c] for c in result.sample) == Counter(result.allocated)
        assert Counter(teams[c] for c in result.reserves) == Counter(result.reserves_allocated)
        assert sum(result.reserves_allocated.values()) == 6
        assert not set(result.sample) & set(result.reserves)

    def test_stratified_equal_and_deterministic(self):
        teams = {c: "Small" if c < "C0011" else "Large" for c in FRAME}
        first = draw(FRAME, 20, 9, method="stratified", strata=teams, allocation="equal")
        again = draw(FRAME, 20, 9, method="stratified", strata=teams, allocation="equal")
        assert first == again
        assert first.allocated == {"Large": 10, "Small": 10}

    def test_stratified_within_a_stratum_is_uniform(self):
        frame = [f"X{i:02}" for i in range(12)]
        strata = {c: "A" if int(c[1:]) < 8 else "B" for c in frame}
        counts = Counter(
            c
            for seed in range(1600)
            for c in draw(frame, 3, seed, method="stratified", strata=strata).sample
            if strata[c] == "A"
        )
        # A has 8 of 12, so 2 of the 3 places: each of its children is expected 1600 x 2/8 = 400
        chi2 = sum((counts[c] - 400) ** 2 / 400 for c in frame[:8])
        assert chi2 < 24.32  # 7 degrees of freedom, 0.1%

    def test_purposive_top_by_marker_with_ties_by_id(self):
        scores = {"a": 2, "b": 9, "c": 9, "d": 1, "e": 5}
        result = draw(list(scores), 2, 0, method="purposive", scores=scores, reserves=2)
        assert result.sample == ("b", "c")
        assert result.reserves == ("e", "a")

    def test_purposive_without_a_marker_is_the_whole_frame(self):
        assert draw(["b", "a"], 1, 0, method="purposive").sample == ("a", "b")

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"frame_ids": ["a", "a"]}, "more than once"),
            ({"method": "cluster"}, "unknown method"),
            ({"method": "stratified"}, "stratum of every child"),
            ({"method": "stratified", "strata": {"a": "X"}}, "1 children in the frame have no"),
            ({"strata": {"a": "X", "b": "Y"}}, "only used by a stratified draw"),
            ({"method": "purposive", "scores": {"a": 1}}, "have no score"),
            ({"reserves": -1}, "reserves"),
        ],
    )
    def test_bad_inputs(self, kwargs, match):
        arguments = {"frame_ids": ["a", "b"], "n": 1, "seed": 1, **kwargs}
        with pytest.raises(SamplingError, match=match):
            draw(**arguments)


class TestDescribeDraw:
    def test_stratified(self):
        teams = {c: ("North", "South")[int(c[1:]) % 2] for c in FRAME}
        result = draw(FRAME, 30, 48213, method="stratified", strata=teams)
        text = describe_draw(
            result,
            frame_description="referred between 1 April and 30 September 2025",
            stratified_by="team",
        )
        assert text == (
            "30 children drawn at random, stratified by team in proportion, from 412 children "
            "referred between 1 April and 30 September 2025; seed 48213."
        )

    def test_random_with_exclusions_and_reserves(self):
        text = describe_draw(
            draw(FRAME, 1, 3, reserves=1),
            frame_description="with a CP plan",
            exclusions="2 children already audited",
        )
        assert text == (
            "1 child drawn at random from 412 children with a CP plan, after excluding "
            "2 children already audited; seed 3. 1 reserve drawn in order to replace children "
            "who cannot be audited."
        )

    def test_equal_allocation(self):
        teams = {c: ("North", "South")[int(c[1:]) % 2] for c in FRAME}
        result = draw(FRAME, 10, 1, method="stratified", strata=teams, allocation="equal")
        assert "stratified by locality in equal numbers," in describe_draw(
            result, frame_description="", stratified_by="locality"
        )

    def test_purposive_has_no_seed(self):
        scores = {c: i for i, c in enumerate(FRAME)}
        result = draw(FRAME, 10, 0, method="purposive", scores=scores, marker="data anomalies")
        assert describe_draw(result, frame_description="open to the front door") == (
            "10 children with the highest data anomalies chosen from 412 children "
            "open to the front door."
        )

    def test_everyone_taken(self):
        text = describe_draw(draw(["a", "b"], 5, 2), frame_description="in the cohort")
        assert text == "All 2 children taken from 2 children in the cohort; seed 2."
