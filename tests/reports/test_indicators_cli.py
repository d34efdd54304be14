"""``frontdoor indicators``: the same figures as the page, as a table or as JSON."""

import json

from audit_app.db import session_scope
from audit_app.reports.indicators import compute_indicators
from tests.reports.test_indicators import COHORT, END, START, load

ARGS = ["indicators", "--from", "2025-04-01", "--to", "2026-03-31"]


class TestJson:
    def test_keys_are_the_indicator_names_with_n_and_england(self, app, runner):
        load(app, COHORT)
        result = runner.invoke(args=[*ARGS, "--json", "--population", "10000"])
        assert result.exit_code == 0, result.output
        found = json.loads(result.output)
        for key in ("referrals", "rereferral_rate", "assessments_within_45_rate",
                    "icpc_within_15_rate", "cin_at_end", "caseloads"):  # fmt: skip
            assert {"value", "numerator", "denominator"} <= set(found[key]), key
        assert found["referrals"]["value"] == 15
        assert found["rereferral_rate"]["england"] == {
            "value": 22.6, "measure": "Re-referrals within 12 months of a previous referral",
            "unit": "percent", "low": None, "high": None, "year": "2024-25", "kind": "published",
            "source": "DfE, Children in need (year to 31 March 2025)",
        }  # fmt: skip
        assert found["cin_rate_per_10000"]["value"] == 8.0

    def test_the_same_figures_as_compute_indicators(self, app, runner):
        load(app, COHORT)
        found = json.loads(runner.invoke(args=[*ARGS, "--json"]).output)
        with session_scope(app) as session:
            direct = compute_indicators(session=session, start=START, end=END)
        assert json.loads(json.dumps(direct, default=str)) == found

    def test_population_from_the_configuration(self, app, runner):
        load(app, COHORT)
        app.config["UNDER_18_POPULATION"] = 20000
        found = json.loads(runner.invoke(args=[*ARGS, "--json"]).output)
        assert found["referral_rate_per_10000"]["value"] == 7.5  # 15 of 20,000


class TestTable:
    def test_human_table(self, app, runner):
        load(app, COHORT)
        result = runner.invoke(args=ARGS)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[0] == "Evidence base 01 April 2025 to 31 March 2026"
        row = next(line for line in lines if line.startswith("Re-referrals within 12 months"))
        assert "20.0%" in row and "3 of 15" in row and "22.6% (2024-25, published)" in row
        assert "need the under-18 population" in result.output

    def test_empty_database(self, runner):
        result = runner.invoke(args=ARGS)
        assert result.exit_code == 0, result.output
        assert "Referrals" in result.output and "—" in result.output


class TestBadDates:
    def test_not_a_date(self, runner):
        result = runner.invoke(args=["indicators", "--from", "2025-13-01", "--to", "2026-03-31"])
        assert result.exit_code == 2
        assert "Invalid value for '--from': '2025-13-01'" in result.output

    def test_end_before_start(self, runner):
        result = runner.invoke(args=["indicators", "--from", "2026-04-01", "--to", "2026-03-31"])
        assert result.exit_code == 2
        assert "2026-03-31 is before --from 2026-04-01" in result.output

    def test_missing_dates(self, runner):
        result = runner.invoke(args=["indicators", "--from", "2026-04-01"])
        assert result.exit_code == 2 and "--to" in result.output


class TestPopulationSetting:
    def test_read_from_the_environment_with_thousands_separators(self, monkeypatch):
        from audit_app.config import load_config

        monkeypatch.setenv("FRONTDOOR_UNDER_18_POPULATION", "45,000")
        assert load_config({"TESTING": True})["UNDER_18_POPULATION"] == 45000
        monkeypatch.delenv("FRONTDOOR_UNDER_18_POPULATION")
        monkeypatch.setenv("FRONTDOOR_UNDER18_POPULATION", "12000")  # the spelling without _
        assert load_config({"TESTING": True})["UNDER_18_POPULATION"] == 12000

    def test_a_bad_value_stops_the_app_with_a_clear_message(self, monkeypatch):
        import pytest

        from audit_app.config import ConfigError, load_config

        monkeypatch.setenv("FRONTDOOR_UNDER_18_POPULATION", "lots")
        with pytest.raises(ConfigError, match="FRONTDOOR_UNDER_18_POPULATION must be a whole"):
            load_config({"TESTING": True})
