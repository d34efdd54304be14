"""Cohort rules: each filters what it says on a small literal cohort; frames, exclusions, draws."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from audit_app.audits.cohort import (
    Exclusions,
    RuleError,
    describe_rules,
    draw_sample,
    frame_counts,
    load_frame,
    parse_rules,
    rule_pairs,
)
from audit_app.db import engine, session_scope
from audit_app.models import Audit, AuditCase, Child, Event
from audit_app.summaries import rebuild_summaries

AS_OF = date(2025, 11, 3)
NOW = datetime(2025, 11, 3, 12, tzinfo=UTC)


def add_child(session, ref: str, events: list[dict], **child) -> int:
    row = Child(child_ref=ref, **child)
    session.add(row)
    session.flush()
    for n, event in enumerate(events):
        event = dict(event)
        session.add(
            Event(
                child_id=row.id,
                kind=event.pop("kind"),
                start_date=event.pop("start"),
                end_date=event.pop("end", None),
                occurrence=n,
                **event,
            )
        )
    session.commit()
    return row.id


def referral(day, **attrs):
    return {"kind": "referral", "start": day, **attrs}


def assessment(day, end=None, **attrs):
    return {"kind": "assessment", "start": day, "end": end, **attrs}


def build_cohort(app) -> dict[str, int]:
    """Six children, each picked out by some rules and not by others (see each test)."""
    with session_scope(app) as s:
        ids = {
            # police referral in spring; domestic abuse, parental mental health; disabled; aged 5
            "C1": add_child(s, "C1", [
                referral(date(2025, 5, 1), source="6", team="North Team", worker="Worker A"),
                assessment(date(2025, 5, 2), date(2025, 6, 2), factors="3A,4B", team="North Team",
                           worker="Worker A", outcome="cin"),
                {"kind": "cin_plan", "start": date(2025, 6, 3), "team": "North Team",
                 "worker": "Worker A"},
            ], dob=date(2020, 1, 1), ethnicity="WBRI", disability=True),
            # school referral in 2024 to a CP plan for neglect; gangs factor; a baby
            "C2": add_child(s, "C2", [
                referral(date(2024, 12, 10), source="2A", team="South Team", worker="Worker B"),
                assessment(date(2024, 12, 11), date(2025, 1, 6), factors="13A", team="South Team",
                           worker="Worker B"),
                {"kind": "s47", "start": date(2025, 1, 7), "end": date(2025, 1, 14),
                 "team": "South Team"},
                {"kind": "icpc", "start": date(2025, 1, 20), "plan_resulted": True,
                 "team": "South Team"},
                {"kind": "cp_plan", "start": date(2025, 1, 20), "category_initial": "NEG",
                 "category_latest": "NEG", "team": "South Team", "worker": "Worker B"},
            ], dob=date(2024, 12, 1), ethnicity="AIND", disability=False),
            # police referral in the summer; assessment still open long past 45 working days; unborn
            "C3": add_child(s, "C3", [
                referral(date(2025, 7, 1), source="6", team="North Team", worker="Worker C"),
                assessment(date(2025, 7, 2), team="North Team", worker="Worker C"),
            ], expected_dob=date(2026, 1, 10), ethnicity="WBRI"),
            # re-referred within 12 months, the second NFA; the legacy physical abuse code; aged 17
            "C4": add_child(s, "C4", [
                referral(date(2025, 2, 3), source="5A", team="East Team", worker="Worker D"),
                assessment(date(2025, 2, 4), date(2025, 3, 3), factors="18A", team="East Team"),
                referral(date(2025, 8, 4), source="5A", nfa=True, referrals_last_12m=1,
                         team="East Team", worker="Worker D"),
            ], dob=date(2008, 1, 1), ethnicity="BAFR"),
            # two CP plans (a repeat), the second without a conference: a data anomaly
            "C5": add_child(s, "C5", [
                referral(date(2024, 1, 8), source="8", team="South Team", worker="Worker B"),
                {"kind": "s47", "start": date(2024, 1, 9), "end": date(2024, 1, 12)},
                {"kind": "icpc", "start": date(2024, 1, 22), "plan_resulted": True},
                {"kind": "cp_plan", "start": date(2024, 1, 22), "end": date(2024, 7, 1),
                 "category_initial": "PHY", "category_latest": "PHY"},
                referral(date(2025, 3, 3), source="8", team="South Team", worker="Worker B"),
                {"kind": "cp_plan", "start": date(2025, 3, 10), "category_initial": "PHY",
                 "category_latest": "PHY", "previous_plans": 1, "team": "South Team",
                 "worker": "Worker B"},
            ], dob=date(2012, 6, 1), ethnicity="MWBC"),
            # a contact only: no referral at all
            "C6": add_child(s, "C6", [{"kind": "contact", "start": date(2025, 9, 1),
                                       "source": "1A"}],
                            dob=date(2019, 3, 1), ethnicity="WBRI"),
        }  # fmt: skip
    rebuild_summaries(engine=engine(app), as_of=AS_OF)
    return ids


def frame_of(app, raw: dict, exclusions: Exclusions | None = None) -> set[str]:
    with session_scope(app) as s:
        found = load_frame(
            parse_rules(raw),
            session=s,
            as_of=AS_OF,
            now=NOW,
            exclusions=exclusions or Exclusions(0, False),
        )
    return set(found.refs)


@pytest.fixture
def cohort(app):
    return build_cohort(app)


EVERYONE = {"C1", "C2", "C3", "C4", "C5", "C6"}


class TestEachRule:
    @pytest.mark.parametrize(
        "raw, expected",
        [
            ({}, EVERYONE),
            ({"event": "referral", "from": "2025-04-01", "to": "2025-09-30"}, {"C1", "C3", "C4"}),
            ({"from": "2025-04-01", "to": "2025-06-30"}, {"C1"}),  # a date range means referrals
            ({"event": "cp_plan", "from": "2025-01-01"}, {"C2", "C5"}),
            ({"event": "contact"}, {"C6"}),
            ({"stage": "cp_plan"}, {"C2", "C5"}),
            ({"stage": ["cin", "contact"]}, {"C1", "C6"}),
            ({"outcome": "nfa"}, {"C4"}),
            ({"outcome": "cin"}, {"C1"}),
            ({"outcome": ["s47", "lac"]}, {"C2", "C5"}),
            ({"source": "6"}, {"C1", "C3"}),
            ({"source": "6", "event": "referral", "from": "2025-06-01"}, {"C3"}),
            ({"cp_category": "NEG"}, {"C2"}),
            ({"cp_category": "phy"}, {"C5"}),
            ({"factors": "3A"}, {"C1"}),
            ({"factors": "3A,3B,3C"}, {"C1"}),
            ({"factors": "13A"}, {"C2"}),  # and "3A" never matches "13A"
            ({"factors": "18A"}, {"C4"}),  # the legacy code
            ({"factors": "16A", "cp_category": "NEG", "match": "any"}, {"C2"}),
            ({"factors": "3A", "cp_category": "NEG"}, set()),  # both must apply by default
            ({"factors": "3A", "cp_category": "NEG", "match": "any"}, {"C1", "C2"}),
            ({"age_band": "unborn"}, {"C3"}),
            ({"age_band": "under_1"}, {"C2"}),
            ({"age_band": "5_9"}, {"C1", "C6"}),
            ({"age_band": ["10_15", "16_plus"]}, {"C4", "C5"}),
            ({"ethnicity": "wbri"}, {"C1", "C3", "C6"}),
            ({"disability": "yes"}, {"C1"}),
            ({"disability": "no"}, EVERYONE - {"C1"}),
            ({"team": "South Team"}, {"C2", "C5"}),
            ({"worker": "Worker A"}, {"C1"}),
            ({"worker": ["Worker A", "Worker D"]}, {"C1", "C4"}),
            ({"rereferred": "yes"}, {"C4"}),
            ({"repeat_cp": "yes"}, {"C5"}),
            ({"repeat_cp": "no"}, EVERYONE - {"C5"}),
            ({"overdue_assessment": "yes"}, {"C3"}),
            ({"anomalies": "yes"}, {"C5"}),
            ({"anomalies": "cp_plan_without_icpc"}, {"C5"}),
            ({"anomalies": "no"}, EVERYONE - {"C5"}),
            ({"team": "North Team", "source": "6", "disability": "yes"}, {"C1"}),
        ],
    )
    def test_rule_finds_exactly_these_children(self, app, cohort, raw, expected):
        assert frame_of(app, raw) == expected

    def test_overdue_depends_on_the_date(self, app, cohort):
        # C3's assessment started 2 July 2025: within 45 working days until early September
        with session_scope(app) as s:
            early = load_frame(
                {"overdue_assessment": "yes"},
                session=s,
                as_of=date(2025, 8, 1),
                exclusions=Exclusions(0, False),
            )
        assert early.refs == []


class TestParseRules:
    @pytest.mark.parametrize(
        "raw, key, words",
        [
            ({"colour": "red"}, "colour", "no cohort rule called ‘colour’"),
            (
                {"factors": "99Z"},
                "factors",
                "‘99Z’ is not a value of the rule ‘assessment factors’",
            ),
            ({"stage": "prison"}, "stage", "‘prison’ is not a value of the rule ‘stage reached’"),
            ({"from": "2025-02-30"}, "from", "must be a real date"),
            ({"from": "2025-05-01", "to": "2025-04-01"}, "to", "on or after"),
            ({"disability": "perhaps"}, "disability", "yes or no"),
            ({"ethnicity": "white"}, "ethnicity", "not an ethnicity code"),
        ],
    )
    def test_bad_rules_name_the_field_and_value(self, raw, key, words):
        with pytest.raises(RuleError, match=words) as caught:
            parse_rules(raw)
        assert caught.value.key == key

    def test_values_are_normalised(self):
        raw = {"factors": ["3a, 3B", "3A"], "disability": "Y", "to": "2025-09-30"}
        assert parse_rules(raw) == {
            "event": "referral", "to": "2025-09-30", "factors": ["3A", "3B"], "disability": "yes",
        }  # fmt: skip

    def test_cli_pairs(self):
        assert rule_pairs(["factors=3A,3B", "team=North Team", "team=East"]) == {
            "factors": ["3A,3B"], "team": ["North Team", "East"],
        }  # fmt: skip
        with pytest.raises(RuleError, match="not KEY=VALUE"):
            rule_pairs(["factors"])


class TestDescribeRules:
    def test_the_issue_example(self):
        rules = parse_rules({"from": "2025-04-01", "to": "2025-09-30", "factors": "3A,3B,3C"})
        assert describe_rules(rules) == (
            "referred between 1 April 2025 and 30 September 2025 and whose assessment identified "
            "domestic abuse (3A, 3B, 3C)"
        )

    def test_toxic_trio_factors_are_grouped_by_concern(self):
        rules = parse_rules({"factors": "1B,1C,2B,2C,3A,3B,3C,4B,4C"})
        assert describe_rules(rules) == (
            "whose assessment identified alcohol misuse (1B, 1C), drug misuse (2B, 2C), "
            "domestic abuse (3A, 3B, 3C) or mental health (4B, 4C)"
        )

    def test_neglect_theme_reads_as_either(self):
        rules = parse_rules(
            {"factors": "16A", "cp_category": "NEG", "match": "any", "age_band": "under_1"}
        )
        assert describe_rules(rules) == (
            "whose assessment identified neglect (16A) or with a child protection plan for neglect "
            "and aged under 1"
        )

    def test_no_rules(self):
        assert describe_rules({}) == "in the case data"


def put_in_audit(
    app, child_id: int, *, created: datetime, status: str = "open", reserve=False
) -> None:
    with session_scope(app) as s:
        audit = Audit(
            title="Earlier",
            theme="general",
            template_key="core-front-door",
            status=status,
            created_at=created,
        )
        s.add(audit)
        s.flush()
        s.add(AuditCase(audit_id=audit.id, child_id=child_id, reserve=reserve))
        s.commit()


class TestExclusions:
    def test_children_audited_in_the_last_n_months_are_left_out(self, app, cohort):
        put_in_audit(app, cohort["C1"], created=datetime(2025, 3, 1, tzinfo=UTC), status="closed")
        put_in_audit(app, cohort["C2"], created=datetime(2024, 6, 1, tzinfo=UTC), status="closed")
        assert frame_of(app, {}, Exclusions(12, False)) == EVERYONE - {"C1"}
        assert frame_of(app, {}, Exclusions(6, False)) == EVERYONE
        assert frame_of(app, {}, Exclusions(24, False)) == EVERYONE - {"C1", "C2"}
        assert frame_of(app, {}, Exclusions(0, False)) == EVERYONE

    def test_children_in_an_open_audit_are_left_out_but_not_its_reserves(self, app, cohort):
        put_in_audit(app, cohort["C3"], created=datetime(2020, 1, 1, tzinfo=UTC))
        put_in_audit(app, cohort["C4"], created=datetime(2020, 1, 1, tzinfo=UTC), reserve=True)
        assert frame_of(app, {}, Exclusions(0, True)) == EVERYONE - {"C3"}
        assert frame_of(app, {}, Exclusions(0, False)) == EVERYONE

    def test_the_audit_being_drawn_does_not_exclude_its_own_children(self, app, cohort):
        put_in_audit(app, cohort["C3"], created=NOW)
        with session_scope(app) as s:
            audit_id = s.exec(select(AuditCase.audit_id)).first()
        assert "C3" in frame_of(app, {}, Exclusions(12, True, audit_id))

    def test_counts_say_how_many_were_left_out(self, app, cohort):
        put_in_audit(app, cohort["C1"], created=datetime(2025, 3, 1, tzinfo=UTC))
        with session_scope(app) as s:
            counts = frame_counts(parse_rules({"source": "6"}), session=s, as_of=AS_OF, now=NOW)
        assert (counts.matched, counts.size, counts.excluded_audited, counts.excluded_open) == (
            2,
            1,
            1,
            1,
        )
        assert counts.by_team == [("North Team", 1)]
        assert counts.by_stage == [("Assessment", 1)]


class TestFrameCounts:
    def test_breakdown_by_team_and_stage(self, app, cohort):
        with session_scope(app) as s:
            counts = frame_counts({}, session=s, as_of=AS_OF, now=NOW)
        assert counts.size == 6
        assert dict(counts.by_team) == {
            "East Team": 1,
            "North Team": 2,
            "South Team": 2,
            "No team recorded": 1,
        }
        assert dict(counts.by_stage) == {
            "Contact": 1,
            "Assessment": 2,
            "Child in need": 1,
            "Child protection plan": 2,
        }

    def test_annex_a_only_data_say_factors_are_not_applied(self, app):
        with session_scope(app) as s:
            add_child(
                s, "A1", [referral(date(2025, 5, 1), source="6"), assessment(date(2025, 5, 2))]
            )
        rebuild_summaries(engine=engine(app), as_of=AS_OF)
        with session_scope(app) as s:
            counts = frame_counts(parse_rules({"factors": "3A"}), session=s, as_of=AS_OF, now=NOW)
        assert counts.factors_ignored and counts.size == 1

    def test_no_summaries_is_said_rather_than_an_empty_frame(self, app):
        with session_scope(app) as s:
            add_child(s, "A1", [referral(date(2025, 5, 1))])
            counts = frame_counts({}, session=s, as_of=AS_OF, now=NOW)
        assert counts.summaries_missing and counts.size == 0


class TestDrawSample:
    def test_same_seed_same_sample_and_a_changed_frame_changes_the_hash(self, app, cohort):
        def sample(**kw):
            with session_scope(app) as s:
                return draw_sample(
                    {},
                    session=s,
                    as_of=AS_OF,
                    now=NOW,
                    n=3,
                    seed=48213,
                    exclusions=Exclusions(0, False),
                    **kw,
                ).result

        first, again = sample(), sample()
        assert first.sample == again.sample and first.frame_hash == again.frame_hash
        with session_scope(app) as s:
            add_child(s, "C7", [referral(date(2025, 9, 1))])
        rebuild_summaries(engine=engine(app), as_of=AS_OF)
        assert sample().frame_hash != first.frame_hash
        assert sample().frame_size == 7

    def test_stratified_by_team_takes_one_from_each(self, app, cohort):
        with session_scope(app) as s:
            drawn = draw_sample(
                {},
                session=s,
                as_of=AS_OF,
                now=NOW,
                n=4,
                seed=1,
                method="stratified",
                by="team",
                exclusions=Exclusions(0, False),
                reserves=1,
            )
        assert drawn.result.allocated == {
            "East Team": 1,
            "No team recorded": 1,
            "North Team": 1,
            "South Team": 1,
        }
        assert (
            "stratified by team in proportion, from 6 children in the case data"
            in drawn.description
        )

    def test_purposive_by_referral_count(self, app, cohort):
        with session_scope(app) as s:
            drawn = draw_sample(
                {},
                session=s,
                as_of=AS_OF,
                now=NOW,
                n=2,
                seed=0,
                method="purposive",
                marker="referral_count",
                exclusions=Exclusions(0, False),
            )
        assert drawn.result.sample == ("C4", "C5")  # the two with two referrals
        assert drawn.description.startswith(
            "2 children with the highest number of referrals chosen"
        )

    def test_exclusions_are_described(self, app, cohort):
        put_in_audit(app, cohort["C1"], created=datetime(2025, 3, 1, tzinfo=UTC), status="closed")
        with session_scope(app) as s:
            drawn = draw_sample(
                parse_rules({"source": "6"}),
                session=s,
                as_of=AS_OF,
                now=NOW,
                n=1,
                seed=5,
                reserves=0,
            )
        assert drawn.description == (
            "All 1 child taken from 1 child referred by police, after excluding 1 child audited in "
            "the last 12 months and children already in an open audit (there were none); seed 5."
        )
