"""Moderation agreement: exact, within one grade, and linear weighted kappa, by hand."""

import pytest

from audit_forms.agreement import (
    agreement,
    exact_agreement,
    grade_pairs,
    weighted_kappa,
    within_one_agreement,
)
from audit_forms.errors import AuditFormsError
from audit_forms.templates import OFSTED_SCALE

# 0 outstanding, 1 good, 2 requires improvement, 3 inadequate
MIXED = [(0, 0), (1, 1), (1, 2), (2, 2), (3, 2)]


class TestGradePairs:
    def test_grades_become_scale_indexes(self):
        pairs = grade_pairs([("outstanding", "inadequate"), ("good", "good")], OFSTED_SCALE)
        assert pairs == [(0, 3), (1, 1)]

    def test_pairs_missing_a_grade_are_skipped(self):
        assert grade_pairs([("good", None), (None, "good"), ("", "good")]) == []

    def test_a_grade_off_the_scale_is_refused(self):
        with pytest.raises(AuditFormsError, match="'satisfactory' is not on the grade scale"):
            grade_pairs([("good", "satisfactory")])


class TestExactAgreement:
    def test_mixed(self):
        exact = exact_agreement(MIXED)
        assert (exact.numerator, exact.n, exact.value) == (3, 5, 0.6)

    def test_all_agree_and_all_disagree(self):
        assert exact_agreement([(1, 1), (2, 2)]).value == 1.0
        assert exact_agreement([(0, 3), (3, 0)]).value == 0.0

    def test_no_pairs(self):
        assert exact_agreement([]).value is None


class TestWithinOneAgreement:
    def test_one_grade_apart_counts_two_apart_does_not(self):
        within = within_one_agreement([(1, 2), (2, 1), (0, 2), (3, 3)])
        assert (within.numerator, within.n) == (3, 4)

    def test_mixed(self):
        assert within_one_agreement(MIXED).value == 1.0


class TestWeightedKappa:
    def test_hand_computed_example(self):
        # Linear weights on 4 points: w = 1 - |i-j|/3, so 1, 2/3, 1/3, 0.
        # Po = (1 + 1 + 2/3 + 1 + 2/3) / 5 = 13/15.
        # Auditor marginals a = [1, 2, 1, 1], moderator b = [1, 1, 3, 0].
        # sum w_ij a_i b_j = 8/3 (i=0) + 22/3 (i=1) + 12/3 (i=2) + 7/3 (i=3) = 49/3,
        # so Pe = (49/3) / 25 = 49/75.
        # kappa = (13/15 - 49/75) / (1 - 49/75) = (16/75) / (26/75) = 8/13 = 0.61538...
        kappa = weighted_kappa(MIXED, 4)
        assert kappa.value == pytest.approx(8 / 13)
        assert (kappa.n, kappa.reason) == (5, None)

    def test_all_agree_across_grades_is_one(self):
        assert weighted_kappa([(0, 0), (1, 1), (2, 2), (3, 3)]).value == pytest.approx(1.0)

    def test_all_disagree_at_opposite_ends_is_minus_one(self):
        # Po = 0 (weight 0 at distance 3); a = b = [1, 0, 0, 1], Pe = (1 + 0 + 0 + 1) / 4 = 1/2.
        assert weighted_kappa([(0, 3), (3, 0)]).value == pytest.approx(-1.0)

    def test_undefined_when_every_grade_is_the_same(self):
        kappa = weighted_kappa([(1, 1)] * 6)
        assert kappa.value is None
        assert kappa.n == 6
        assert kappa.reason == "every grade from both people is the same, so kappa is undefined"

    @pytest.mark.parametrize("pairs", [[], [(1, 2)]])
    def test_undefined_with_fewer_than_two(self, pairs):
        kappa = weighted_kappa(pairs)
        assert (kappa.value, kappa.n) == (None, len(pairs))
        assert kappa.reason == "kappa needs at least two moderated cases"

    def test_the_number_of_points_sets_the_weights(self):
        # On 3 points w = 1, 1/2, 0. Pairs (0,1), (1,0): Po = 1/2; a = b = [1, 1, 0],
        # Pe = (1 + 1/2 + 1/2 + 1) / 4 = 3/4; kappa = (1/2 - 3/4) / (1/4) = -1.
        assert weighted_kappa([(0, 1), (1, 0)], 3).value == pytest.approx(-1.0)

    def test_off_the_scale(self):
        with pytest.raises(AuditFormsError, match="off a 4-point scale"):
            weighted_kappa([(0, 4), (1, 1)])


class TestAgreement:
    def test_all_three_measures_share_n(self):
        result = agreement(MIXED)
        assert result.n == result.exact.n == result.within_one.n == result.kappa.n == 5
        assert result.kappa.value == pytest.approx(8 / 13)

    def test_accepts_a_generator_once(self):
        result = agreement(pair for pair in MIXED)
        assert result.n == 5 and result.exact.numerator == 3
