"""``frontdoor draw-sample``: a scriptable frame query and draw, without a saved audit."""

import json

import pytest

from audit_forms.sampling import frame_hash
from tests.audits.test_cohort import build_cohort


@pytest.fixture
def cohort(app):
    return build_cohort(app)


def run_json(runner, *args):
    result = runner.invoke(args=["draw-sample", "--json", "--as-of", "2025-11-03", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


class TestDrawSample:
    def test_json_has_exactly_the_documented_keys(self, runner, cohort):
        out = run_json(runner, "--n", "2", "--seed", "48213", "--reserves", "1")
        assert set(out) == {"frame_size", "frame_hash", "method", "seed", "child_ids", "reserves"}
        assert (out["frame_size"], out["method"], out["seed"]) == (6, "random", 48213)
        assert len(out["child_ids"]) == 2 and len(out["reserves"]) == 1

    def test_rules_make_the_frame_and_the_hash_is_of_its_ids(self, runner, cohort):
        out = run_json(runner, "--rule", "source=6", "--rule", "team=North Team")
        assert out["frame_size"] == 2 and sorted(out["child_ids"]) == ["C1", "C3"]
        assert out["frame_hash"] == frame_hash(["C1", "C3"])

    def test_same_seed_same_sample(self, runner, cohort):
        args = ("--n", "3", "--seed", "7", "--method", "stratified", "--by", "team")
        assert run_json(runner, *args) == run_json(runner, *args)

    def test_purposive_by_a_marker(self, runner, cohort):
        out = run_json(runner, "--method", "purposive", "--by", "referral_count", "--n", "2")
        assert out["child_ids"] == ["C4", "C5"]

    def test_plain_output_says_how_it_was_drawn(self, runner, cohort):
        result = runner.invoke(
            args=["draw-sample", "--rule", "factors=3A,3B,3C", "--n", "1", "--seed", "5"]
        )
        assert result.exit_code == 0
        assert (
            "All 1 child taken from 1 child whose assessment identified domestic abuse"
            in result.output
        )
        assert "Children: C1" in result.output

    @pytest.mark.parametrize(
        "args, words",
        [
            (["--rule", "colour=red"], "no cohort rule called ‘colour’"),
            (["--rule", "factors=99Z"], "‘99Z’ is not a value of the rule ‘assessment factors’"),
            (["--rule", "factors"], "not KEY=VALUE"),
            (["--rule", "from=2025-02-31"], "must be a real date"),
            (["--method", "stratified"], "needs --by"),
            (["--method", "stratified", "--by", "shoe_size"], "needs --by"),
            (["--method", "purposive", "--by", "height"], "is a marker"),
        ],
    )
    def test_bad_rules_exit_2_with_a_clear_message(self, runner, cohort, args, words):
        result = runner.invoke(args=["draw-sample", *args])
        assert result.exit_code == 2
        assert words in result.output
        assert "Traceback" not in result.output


class TestExclusions:
    def test_children_audited_recently_are_left_out_unless_asked(self, app, runner, cohort):
        from datetime import UTC, datetime

        from tests.audits.test_cohort import put_in_audit

        put_in_audit(app, cohort["C1"], created=datetime.now(UTC), status="closed")
        assert "C1" not in run_json(runner, "--seed", "1")["child_ids"]
        assert run_json(runner, "--seed", "1")["frame_size"] == 5
        kept = run_json(runner, "--seed", "1", "--exclude-audited-months", "0")
        assert kept["frame_size"] == 6 and "C1" in kept["child_ids"]

    def test_children_in_an_open_audit_are_left_out(self, app, runner, cohort):
        from datetime import UTC, datetime

        from tests.audits.test_cohort import put_in_audit

        put_in_audit(app, cohort["C2"], created=datetime(2020, 1, 1, tzinfo=UTC))
        assert run_json(runner, "--seed", "1")["frame_size"] == 5
        assert run_json(runner, "--seed", "1", "--include-open-audits")["frame_size"] == 6
