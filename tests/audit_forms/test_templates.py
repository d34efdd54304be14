"""Templates: loading, versioning and fingerprints, the shipped content, and malformed files."""

import json
from pathlib import Path

import pytest

from audit_forms.errors import TemplateError
from audit_forms.templates import (
    BUILTIN_DIR,
    OFSTED_SCALE,
    ROLLUPS,
    builtin_templates,
    latest,
    load_template,
    load_templates,
    template_fingerprint,
)

HERE = Path(__file__).parent

GOOD = """\
key = "mini"
title = "Mini audit"
version = 1
description = "A small template for tests."

[[sections]]
key = "first"
title = "First"
rollup = "threshold"

  [[sections.questions]]
  key = "threshold_decision"
  type = "threshold"
  label = "Was the threshold decision right?"
  required = true

  [[sections.questions]]
  key = "overall_grade"
  type = "grade"
  label = "Overall grade"
  rollup = "quality"
  required = true

  [[sections.questions]]
  key = "who"
  type = "multiple_choice"
  label = "Who came?"
  options = [{ value = "police", label = "Police" }, { value = "health", label = "Health" }]
"""

# Stable keys the SEF roll-up and saved answers refer to: renaming one breaks them.
CORE_KEYS = {
    "threshold_decision": "threshold",
    "right_service_right_time": "threshold",
    "assessment_timescale_fitted": "timeliness",
    "referral_to_assessment_days": "timeliness",
    "history_considered": "quality",
    "strengths_and_risks_analysed": "quality",
    "child_seen": "voice_of_child",
    "seen_alone": "voice_of_child",
    "views_recorded": "voice_of_child",
    "views_influenced_plan": "voice_of_child",
    "direct_work_tools": "voice_of_child",
    "identity_needs_considered": "voice_of_child",
    "strategy_attendees": "partnership",
    "information_shared": "partnership",
    "management_oversight_evident": "management_oversight",
    "supervision_regular": "management_oversight",
    "made_a_difference": "outcome",
    "overall_grade": "quality",
    "overall_rationale": "quality",
}


def write(tmp_path: Path, text: str, name: str = "mini.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    with pytest.raises(TemplateError) as info:
        load_template(write(tmp_path, text, "bad.toml"))
    return str(info.value)


class TestLoadTemplate:
    def test_reads_sections_and_questions_in_order(self, tmp_path):
        t = load_template(write(tmp_path, GOOD))
        assert (t.key, t.title, t.version) == ("mini", "Mini audit", 1)
        assert [q.key for q in t.questions] == ["threshold_decision", "overall_grade", "who"]
        assert t.source == "mini.toml"

    def test_section_rollup_is_the_default_and_a_question_can_override_it(self, tmp_path):
        t = load_template(write(tmp_path, GOOD))
        assert t.question("threshold_decision").rollup == "threshold"
        assert t.question("overall_grade").rollup == "quality"
        assert [q.key for q in t.feeding("quality")] == ["overall_grade"]

    def test_grade_defaults_to_the_ofsted_four_point_scale(self, tmp_path):
        grade = load_template(write(tmp_path, GOOD)).question("overall_grade")
        assert grade.scale == OFSTED_SCALE
        assert [o.label for o in grade.options] == [
            "Outstanding",
            "Good",
            "Requires improvement to be good",
            "Inadequate",
        ]
        assert grade.positive == ("outstanding", "good")

    def test_fixed_option_sets_for_yes_no_partly_and_threshold(self, tmp_path):
        t = load_template(write(tmp_path, GOOD))
        assert t.question("threshold_decision").values == (
            "appropriate",
            "should_have_been_higher",
            "should_have_been_lower",
        )

    def test_a_template_scale_applies_to_its_grade_questions(self, tmp_path):
        text = GOOD.replace(
            'description = "A small template for tests."',
            'description = ""\n'
            "[grade_scale]\n"
            'points = [{ value = "met", label = "Met" },\n'
            '  { value = "not_met", label = "Not met" }]\n'
            "good_or_better = 1\n",
        )
        grade = load_template(write(tmp_path, text)).question("overall_grade")
        assert grade.scale is not None and grade.scale.values == ("met", "not_met")
        assert grade.positive == ("met",)

    def test_a_supplement_needs_its_base(self, tmp_path):
        supplement = BUILTIN_DIR / "neglect-v1.toml"
        message = str(pytest.raises(TemplateError, load_template, supplement).value)
        assert message == "neglect-v1.toml: extends: template 'core-front-door' version 1 not found"

    def test_a_supplement_is_the_base_with_its_sections_inserted(self):
        core = load_template(BUILTIN_DIR / "core-front-door-v1.toml")
        neglect = load_template(
            BUILTIN_DIR / "neglect-v1.toml", bases={("core-front-door", 1): core}
        )
        keys = [s.key for s in neglect.sections]
        assert keys.index("neglect") == keys.index("overall") - 1
        assert set(core.questions) < set(neglect.questions)


class TestLoadTemplates:
    def test_keys_are_key_and_version(self, tmp_path):
        write(tmp_path, GOOD, "mini-v1.toml")
        write(tmp_path, GOOD.replace("version = 1", "version = 2"), "mini-v2.toml")
        assert sorted(load_templates(tmp_path)) == [("mini", 1), ("mini", 2)]

    def test_two_files_with_the_same_key_and_version_are_refused(self, tmp_path):
        write(tmp_path, GOOD, "a.toml")
        write(tmp_path, GOOD.replace("Mini audit", "Changed"), "b.toml")
        with pytest.raises(TemplateError, match=r"^b.toml: version: 'mini' version 1 is also"):
            load_templates(tmp_path)

    def test_a_supplement_may_extend_a_file_sorted_after_it(self, tmp_path):
        write(tmp_path, GOOD, "z-base.toml")
        write(
            tmp_path,
            'key = "extra"\ntitle = "Extra"\nversion = 1\nextends = "mini"\n'
            'extends_version = 1\ninsert_before = "first"\n'
            '[[sections]]\nkey = "more"\ntitle = "More"\n'
            '[[sections.questions]]\nkey = "note"\ntype = "text"\nlabel = "Note"\n',
            "a-extra.toml",
        )
        extra = load_templates(tmp_path)[("extra", 1)]
        assert [s.key for s in extra.sections] == ["more", "first"]

    def test_a_supplement_may_not_reuse_a_base_question_key(self, tmp_path):
        write(tmp_path, GOOD, "base.toml")
        write(
            tmp_path,
            'key = "extra"\ntitle = "Extra"\nversion = 1\nextends = "mini"\nextends_version = 1\n'
            '[[sections]]\nkey = "more"\ntitle = "More"\n'
            '[[sections.questions]]\nkey = "who"\ntype = "text"\nlabel = "Note"\n',
            "extra.toml",
        )
        with pytest.raises(TemplateError) as info:
            load_templates(tmp_path)
        assert str(info.value) == (
            "extra.toml: sections[0].questions[0].key: duplicate question key 'who'"
        )


class TestLatest:
    def test_highest_version_wins(self, tmp_path):
        write(tmp_path, GOOD, "mini-v1.toml")
        write(tmp_path, GOOD.replace("version = 1", "version = 3"), "mini-v3.toml")
        assert latest(load_templates(tmp_path), "mini").version == 3

    def test_unknown_key(self):
        with pytest.raises(KeyError):
            latest({}, "nope")


class TestTemplateFingerprint:
    def test_layout_and_comments_do_not_change_it(self, tmp_path):
        a = load_template(write(tmp_path, GOOD, "a.toml"))
        b = load_template(write(tmp_path, "# a comment\n" + GOOD.replace("  [[", "[["), "b.toml"))
        assert template_fingerprint(a) == template_fingerprint(b)

    def test_a_changed_label_without_a_new_version_is_detectable(self, tmp_path):
        a = load_template(write(tmp_path, GOOD, "a.toml"))
        b = load_template(write(tmp_path, GOOD.replace("Who came?", "Who attended?"), "b.toml"))
        assert (a.key, a.version) == (b.key, b.version)
        assert template_fingerprint(a) != template_fingerprint(b)

    def test_shipped_templates_are_not_edited_in_place(self):
        # A mismatch here means a published template changed: put the change in a new
        # file with a bumped version instead. Add a line for each new version.
        recorded = json.loads((HERE / "template_fingerprints.json").read_text())
        actual = {f"{k}@{v}": template_fingerprint(t) for (k, v), t in builtin_templates().items()}
        assert actual == recorded


class TestBuiltinTemplates:
    def test_core_and_theme_supplements_are_shipped(self):
        keys = {key for key, _ in builtin_templates()}
        assert keys == {
            "core-front-door",
            "neglect",
            "cse",
            "domestic-abuse-toxic-trio",
            "disability",
            "missing",
        }

    @pytest.mark.parametrize("key, rollup", sorted(CORE_KEYS.items()))
    def test_core_keys_the_sef_refers_to(self, key, rollup):
        core = builtin_templates()[("core-front-door", 1)]
        assert core.question(key).rollup == rollup

    def test_every_rollup_is_fed_and_every_supplement_keeps_the_core_keys(self):
        templates = builtin_templates()
        core = templates[("core-front-door", 1)]
        assert all(core.feeding(r) for r in ROLLUPS)
        for template in templates.values():
            assert set(CORE_KEYS) <= {q.key for q in template.questions}
            assert template.sections[-2].key == "overall"

    def test_overall_grade_needs_a_rationale_and_timeliness_is_prefilled(self):
        core = builtin_templates()[("core-front-door", 1)]
        assert core.question("overall_grade").required
        assert core.question("overall_rationale").required
        assert core.question("referral_to_assessment_days").prefill == (
            "referral_to_assessment_days"
        )
        attendees = core.question("strategy_attendees")
        assert {"police", "health", "education"} <= set(attendees.values)
        made = core.question("made_a_difference")
        assert made.values == ("improved", "no_change", "worse", "too_early")

    def test_every_required_choice_question_has_a_phrase_for_its_error(self):
        for template in builtin_templates().values():
            for q in template.questions:
                assert not q.required or q.name, f"{template.key}: {q.key} has no name"


class TestMalformedTemplates:
    def test_unknown_type(self, tmp_path):
        text = GOOD.replace('type = "grade"', 'type = "gradee"')
        assert error_for(tmp_path, text).startswith(
            "bad.toml: sections[0].questions[1].type: unknown type 'gradee'"
        )

    def test_duplicate_question_key(self, tmp_path):
        text = GOOD.replace('key = "who"', 'key = "overall_grade"')
        assert error_for(tmp_path, text) == (
            "bad.toml: sections[0].questions[2].key: duplicate question key 'overall_grade'"
        )

    @pytest.mark.parametrize(
        "remove, path",
        [
            ('title = "Mini audit"\n', "title"),
            ("version = 1\n", "version"),
            ('  label = "Who came?"\n', "sections[0].questions[2].label"),
            ('  key = "threshold_decision"\n', "sections[0].questions[0].key"),
        ],
    )
    def test_missing_required_keys(self, tmp_path, remove, path):
        assert error_for(tmp_path, GOOD.replace(remove, "")) == (
            f"bad.toml: {path}: missing required key"
        )

    def test_unknown_rollup(self, tmp_path):
        text = GOOD.replace('rollup = "quality"', 'rollup = "qualty"')
        assert error_for(tmp_path, text).startswith(
            "bad.toml: sections[0].questions[1].rollup: unknown roll-up 'qualty'"
        )

    def test_choice_question_without_options(self, tmp_path):
        text = GOOD.replace(
            '  options = [{ value = "police", label = "Police" }, '
            '{ value = "health", label = "Health" }]\n',
            "",
        )
        assert error_for(tmp_path, text) == (
            "bad.toml: sections[0].questions[2].options: a multiple_choice question needs options"
        )

    @pytest.mark.parametrize(
        "scale, message",
        [
            (
                'scale = [{ value = "only", label = "Only" }]',
                "scale: a grade scale needs at least two points",
            ),
            (
                'scale = [{ value = "a", label = "A" }, { value = "a", label = "B" }]',
                "scale[1].value: duplicate option 'a'",
            ),
            (
                'scale = [{ value = "a", label = "A" }, { value = "b", label = "B" }]\n'
                "  good_or_better = 2",
                "good_or_better: must be between 1 and 1 for a 2-point scale",
            ),
            ('scale = [{ value = "a" }, { value = "b", label = "B" }]', "scale[0].label: missing"),
            ('scale = "ofsted"', "scale: expected a list"),
        ],
    )
    def test_bad_grade_scales(self, tmp_path, scale, message):
        text = GOOD.replace('  rollup = "quality"', f'  rollup = "quality"\n  {scale}')
        assert error_for(tmp_path, text).startswith(f"bad.toml: sections[0].questions[1].{message}")

    def test_a_misspelt_field_is_not_silently_ignored(self, tmp_path):
        text = GOOD.replace("  required = true\n", "  requird = true\n", 1)
        assert error_for(tmp_path, text) == (
            "bad.toml: sections[0].questions[0].requird: unknown field 'requird'"
        )

    def test_wrong_value_type(self, tmp_path):
        assert error_for(tmp_path, GOOD.replace("version = 1", 'version = "1"')) == (
            "bad.toml: version: expected a whole number, got '1'"
        )

    def test_invalid_toml(self, tmp_path):
        assert error_for(tmp_path, GOOD + "\nkey = \n").startswith("bad.toml: not valid TOML")

    def test_positive_must_be_one_of_the_options(self, tmp_path):
        text = GOOD.replace("  required = true\n", '  required = true\n  positive = ["right"]\n', 1)
        assert error_for(tmp_path, text) == (
            "bad.toml: sections[0].questions[0].positive[0]: 'right' is not one of the options"
        )

    def test_options_on_a_question_that_does_not_use_them(self, tmp_path):
        text = GOOD.replace('  type = "threshold"\n', '  type = "text"\n  options = []\n')
        assert error_for(tmp_path, text) == (
            "bad.toml: sections[0].questions[0].options: not used by a text question"
        )


class TestBuiltinDir:
    def test_the_data_folder_never_becomes_a_package(self):
        # audit_forms/templates/ (data) sits beside audit_forms/templates.py (code); an
        # __init__.py in the folder would silently shadow the module.
        assert not (BUILTIN_DIR / "__init__.py").exists()
        assert sorted(p.name for p in BUILTIN_DIR.glob("*.toml"))[0] == "core-front-door-v1.toml"
