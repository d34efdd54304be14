"""SEF section 5 and 8(a) on the small literal set in ``sef_data``, every figure worked by hand."""

from datetime import date

import pytest

from audit_app.db import session_scope
from audit_app.reports.pseudonyms import pseudonym, secret_from
from audit_app.reports.quality import (
    Scope,
    age_band,
    flag_identifiers,
    learning_themes,
    proportion_dict,
    section5,
    section8a,
)
from audit_forms import proportion
from tests.reports import sef_data
from tests.reports.sef_data import END, EXPECTED, START

SECRET = secret_from("test-secret")


@pytest.fixture
def built(app):
    with session_scope(app) as session:
        return sef_data.build(session)


def figures(app, **scope):
    with session_scope(app) as session:
        return section5(Scope(START, END, **scope), session=session, secret=SECRET)


def pair(p):
    return p["numerator"], p["denominator"]


class TestWilsonAndTooFew:
    def test_interval_for_four_of_eight_is_the_textbook_wilson_interval(self):
        # p = 0.5, n = 8, z = 1.96: centre 0.5, half-width 1.96*sqrt(0.25/8 + 3.8415/256)/1.4802
        p = proportion_dict(proportion(4, 8))
        assert (round(p["ci_low"], 4), round(p["ci_high"], 4)) == (0.2152, 0.7848)
        assert p["ci_text"] == "22% to 78%" and p["summary"] == "50% (4 of 8)"

    def test_groups_under_five_are_listed_but_not_ranked(self, app, built):
        by_theme = {r["group"]: r for r in figures(app)["by"]["theme"]}
        assert by_theme["neglect"]["position"] == "1" and not by_theme["neglect"]["too_few"]
        abuse = by_theme["domestic abuse"]
        assert abuse["too_few"] and abuse["position"] == "too few to compare"
        assert abuse["good_or_better"]["summary"] == "1 of 3: too few to compare"

    def test_every_team_here_has_too_few_cases_to_rank(self, app, built):
        teams = figures(app)["by"]["team"]
        assert {r["group"]: r["n"] for r in teams} == {"North": 4, "South": 3, "Not recorded": 1}
        assert all(r["position"] == "too few to compare" for r in teams)

    def test_auditor_with_five_cases_is_ranked_and_one_with_three_is_not(self, app, built):
        by = {r["group"]: r["position"] for r in figures(app)["by"]["auditor"]}
        assert by == {"Ann Auditor": "1", "Bob Auditor": "too few to compare"}


class TestSection5:
    def test_completion_counts_planned_cases_not_reserves_or_replacements(self, app, built):
        s5 = figures(app)
        assert s5["completion"]["planned"] == EXPECTED["planned"]
        assert s5["completion"]["due"] == EXPECTED["due"]
        assert pair(s5["completion"]["completed_of_due"]) == EXPECTED["completed_of_due"]
        assert s5["number_audited"] == EXPECTED["number_audited"]
        assert [a["title"] for a in s5["audits"]] == ["Neglect audit", "Domestic abuse audit"]

    def test_grade_distribution_uses_the_moderated_final_grade(self, app, built):
        s5 = figures(app)
        assert {r["grade"]: r["count"] for r in s5["grades"]["rows"]} == EXPECTED["grades"]
        assert pair(s5["grades"]["good_or_better"]) == EXPECTED["good_or_better"]
        assert pair(s5["grades"]["inadequate"]) == EXPECTED["inadequate"]

    def test_theme_figures(self, app, built):
        by = {r["group"]: r for r in figures(app)["by"]["theme"]}
        for theme, (good, n, position) in EXPECTED["theme"].items():
            assert pair(by[theme]["good_or_better"]) == (good, n)
            assert by[theme]["position"] == position

    def test_threshold_decisions(self, app, built):
        threshold = figures(app)["threshold"]
        assert threshold["n"] == EXPECTED["threshold"]["n"]
        for row in threshold["rows"]:
            assert row["numerator"] == EXPECTED["threshold"][row["key"]], row["key"]
        assert [r["label"] for r in threshold["rows"]] == [
            "Appropriate",
            "Should have been higher",
            "Should have been lower",
        ]

    def test_management_oversight_leaves_not_applicable_out_of_n(self, app, built):
        rows = {r["key"]: r for r in figures(app)["management_oversight"]}
        assert (
            pair(rows["management_oversight_evident"]) == EXPECTED["management_oversight_evident"]
        )

    def test_voice_of_child_measures_include_the_themed_templates_questions(self, app, built):
        rows = {r["key"]: r for r in figures(app)["voice_of_child"]}
        assert pair(rows["seen_alone"]) == EXPECTED["seen_alone"]
        assert pair(rows["views_influenced_plan"]) == EXPECTED["views_influenced_plan"]
        assert "neglect_impact_on_child" in rows  # from the neglect template only

    def test_actions_open_and_overdue_at_the_period_end(self, app, built):
        actions = figures(app)["actions"]
        expected = EXPECTED["actions"]
        assert pair(actions["cases_with_actions"]) == expected["cases_with_actions"]
        assert {k: actions[k] for k in ("actions", "open", "overdue", "done")} == {
            k: expected[k] for k in ("actions", "open", "overdue", "done")
        }

    def test_moderation_agreement_compares_the_auditors_grade_with_the_moderators(self, app, built):
        moderation = figures(app)["moderation"]
        assert moderation["n"] == EXPECTED["moderation"]["n"]
        assert moderation["exact"]["numerator"] == EXPECTED["moderation"]["exact"]
        assert moderation["within_one"]["numerator"] == EXPECTED["moderation"]["within_one"]

    def test_learning_themes_from_tags_and_rationales(self, app, built):
        learning = {(r["source"], r["theme"]): r for r in figures(app)["learning"]}
        assert learning[("tag", "drift")]["cases"] == 3 and learning[("tag", "drift")]["recurring"]
        assert learning[("tag", "chronology")]["cases"] == 1
        assert not learning[("tag", "chronology")]["recurring"]
        assert learning[("rationale", "Drift and delay")]["cases"] == 2
        assert learning[("rationale", "Management oversight")]["cases"] == 1

    def test_quality_timeliness_matrix(self, app, built):
        matrix = figures(app)["matrix"]
        counts = {q["quadrant"]: q["n"] for q in matrix["quadrants"]}
        assert counts == EXPECTED["quadrants"]
        assert matrix["untimed"] == EXPECTED["untimed"]
        by_child = {p["pseudonym"]: p for p in matrix["points"]}
        a4 = by_child[pseudonym("NM0000104", SECRET)]
        assert (a4["measure"], a4["working_days"], a4["quadrant"]) == (
            "Initial conference",
            18,
            "Late and not good",
        )
        # No confirmed figure: the journey's own referral-to-authorisation, 6 Jan to 3 Feb 2025
        b1 = by_child[pseudonym("NM0000201", SECRET)]
        assert (b1["source"], b1["working_days"], b1["quadrant"]) == (
            "journey",
            20,
            "Timely and good",
        )

    def test_unfinalised_cases_count_only_when_asked(self, app, built):
        assert figures(app, include_unfinalised=True)["number_audited"] == 9

    def test_one_audit_or_one_theme(self, app, built):
        one = figures(app, audit_id=built["audits"]["A"])
        assert one["number_audited"] == 5 and one["completion"]["planned"] == 6
        assert figures(app, theme="domestic_abuse")["number_audited"] == 3
        old = figures(app, audit_id=built["audits"]["C"])  # one audit: whatever its date
        assert old["number_audited"] == 1

    def test_an_empty_period_has_no_cases_and_no_errors(self, app, built):
        with session_scope(app) as session:
            s5 = section5(
                Scope(date(2030, 1, 1), date(2030, 12, 31)), session=session, secret=SECRET
            )
        assert s5["number_audited"] == 0 and s5["grades"]["good_or_better"]["summary"] == "no cases"


class TestSection8a:
    def test_outcome_measures_and_approved_quotes(self, app, built):
        with session_scope(app) as session:
            s8 = section8a(Scope(START, END), session=session, secret=SECRET)
        measures = {m["key"]: m for m in s8["measures"]}
        assert pair(measures["made_a_difference"]) == EXPECTED["made_a_difference"]
        assert pair(measures["seen_alone"]) == EXPECTED["seen_alone"]
        assert pair(measures["views_influenced_plan"]) == EXPECTED["views_influenced_plan"]
        assert s8["quotes"] == [
            {
                "text": "I feel safer now. Mum listens to me.",
                "theme": "neglect",
                "age_band": "10 to 15",
            }
        ]


class TestIdentifierFlags:
    def test_dates_ids_and_names_are_flagged(self):
        kinds = {
            (f["kind"], f["text"])
            for f in flag_identifiers(
                "I told Kayleigh at school on 3/4/2024 and again on 5th March, my number is "
                "NM0000101"
            )
        }
        assert ("date", "3/4/2024") in kinds and ("date", "5th March") in kinds
        assert ("child ID", "NM0000101") in kinds and ("name", "Kayleigh") in kinds

    def test_plain_words_of_a_child_are_not_flagged(self):
        assert flag_identifiers("I feel safer now. Mum listens to me and School is better.") == []

    def test_known_names_are_flagged_even_at_the_start_of_a_sentence(self):
        flags = flag_identifiers("Jo came round.", known_names={"Jo"})
        assert flags == [{"kind": "name", "text": "Jo"}]


def test_age_bands():
    on = date(2025, 6, 1)
    assert [
        age_band(d, on)
        for d in (
            date(2025, 1, 1),
            date(2021, 6, 2),
            date(2015, 6, 1),
            date(2009, 6, 2),
            date(2008, 1, 1),
            date(2025, 9, 1),
        )
    ] == ["Under 1", "1 to 4", "10 to 15", "10 to 15", "16 and over", "Unborn"]


def test_learning_theme_phrases_count_each_text_once():
    counts = learning_themes(["Drift, drift and more delay", "No delay"])
    assert counts["Drift and delay"] == 2
