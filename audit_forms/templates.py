"""Audit templates: versioned TOML files of sections and questions, loaded into frozen dataclasses.

A change to a template is a new file with a bumped ``version``; an audit keeps the version
(and the fingerprint) it started with. A theme supplement ``extends`` a pinned version of
another template and adds its own sections, so it is a whole template in its own right.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import TemplateError

__all__ = [
    "BUILTIN_DIR",
    "GradeScale",
    "OFSTED_SCALE",
    "Option",
    "QUESTION_TYPES",
    "Question",
    "ROLLUPS",
    "Section",
    "Template",
    "builtin_templates",
    "latest",
    "load_template",
    "load_templates",
    "template_fingerprint",
]

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"

ROLLUPS = (
    "quality",
    "threshold",
    "voice_of_child",
    "partnership",
    "management_oversight",
    "timeliness",
    "outcome",
)
QUESTION_TYPES = (
    "grade",
    "yes_no_partly",
    "threshold",
    "single_choice",
    "multiple_choice",
    "text",
    "date",
    "number",
)
CHOICE_TYPES = ("grade", "yes_no_partly", "threshold", "single_choice", "multiple_choice")
DEFAULT_MAX_LENGTH = 5000

_QUESTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TEMPLATE_KEY = re.compile(r"^[a-z][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class Option:
    """One answer a choice question offers: a stable ``value`` stored, a ``label`` shown."""

    value: str
    label: str


@dataclass(frozen=True)
class GradeScale:
    """An ordinal grade scale, best point first.

    ``good_or_better`` is how many of the best points count as "good or better"; the
    last point is the one reported as "inadequate".
    """

    points: tuple[Option, ...]
    good_or_better: int = 2

    @property
    def values(self) -> tuple[str, ...]:
        """The stored values, best first."""
        return tuple(p.value for p in self.points)

    def index(self, value: str) -> int:
        """The position of ``value`` on the scale (0 is best).

        Examples
        --------
        >>> OFSTED_SCALE.index("requires_improvement")
        2
        """
        try:
            return self.values.index(value)
        except ValueError:
            raise TemplateError(f"'{value}' is not on the grade scale") from None

    def label(self, value: str) -> str:
        """The label shown for ``value``."""
        return self.points[self.index(value)].label


OFSTED_SCALE = GradeScale(
    points=(
        Option("outstanding", "Outstanding"),
        Option("good", "Good"),
        Option("requires_improvement", "Requires improvement to be good"),
        Option("inadequate", "Inadequate"),
    ),
    good_or_better=2,
)

YES_NO_PARTLY = (
    Option("yes", "Yes"),
    Option("no", "No"),
    Option("partly", "Partly"),
    Option("not_applicable", "Not applicable"),
)
THRESHOLD = (
    Option("appropriate", "Appropriate"),
    Option("should_have_been_higher", "Should have been higher"),
    Option("should_have_been_lower", "Should have been lower"),
)


@dataclass(frozen=True)
class Question:
    """One question of a template.

    ``options`` holds the answers offered for every choice type (for a grade, the scale's
    points). ``positive`` and ``not_counted`` say how the roll-up counts an answer: the
    share of ``positive`` answers among those not in ``not_counted``. ``prefill`` names a
    journey measure the app fills in before the auditor confirms it. ``name`` is the
    short phrase used in error messages ("whether the child was seen alone").
    """

    key: str
    type: str
    label: str
    help: str = ""
    required: bool = False
    rollup: str | None = None
    options: tuple[Option, ...] = ()
    scale: GradeScale | None = None
    positive: tuple[str, ...] = ()
    not_counted: tuple[str, ...] = ()
    prefill: str | None = None
    name: str = ""
    max_length: int = DEFAULT_MAX_LENGTH
    minimum: float | None = None
    maximum: float | None = None

    @property
    def values(self) -> tuple[str, ...]:
        """The stored values of the options, in order."""
        return tuple(o.value for o in self.options)

    def option_label(self, value: str) -> str:
        """The label of the option ``value`` (the value itself when unknown)."""
        for option in self.options:
            if option.value == value:
                return option.label
        return value


@dataclass(frozen=True)
class Section:
    """An ordered group of questions with a title."""

    key: str
    title: str
    description: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Template:
    """A versioned audit template. ``source`` (the file name) is not part of its content."""

    key: str
    title: str
    version: int
    description: str
    sections: tuple[Section, ...]
    theme: str | None = None
    extends: str | None = None
    extends_version: int | None = None
    source: str = field(default="", compare=False)

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question, in order."""
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, key: str) -> Question:
        """The question with ``key``; ``KeyError`` when there is none."""
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def feeding(self, rollup: str) -> tuple[Question, ...]:
        """The questions that feed the roll-up ``rollup``, in order."""
        if rollup not in ROLLUPS:
            raise KeyError(rollup)
        return tuple(q for q in self.questions if q.rollup == rollup)


def template_fingerprint(template: Template) -> str:
    """SHA-256 of the template's canonical content (not its file name, layout or comments).

    An audit stores it beside the version, so a file edited without a bumped version is
    detectable.

    Examples
    --------
    >>> t = Template("demo", "Demo", 1, "", ())
    >>> len(template_fingerprint(t))
    64
    >>> template_fingerprint(t) == template_fingerprint(dataclasses.replace(t, source="x.toml"))
    True
    >>> template_fingerprint(t) == template_fingerprint(dataclasses.replace(t, title="Demo 2"))
    False
    """
    content = dataclasses.asdict(template)
    del content["source"]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- parsing -----------------------------------------------------------------------------


class _Reader:
    """Reads typed values out of a TOML table, raising TemplateError with file and path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> TemplateError:
        return TemplateError(
            f"{self.file}: {path}: {message}" if path else f"{self.file}: {message}"
        )

    def check_fields(self, table: Mapping[str, Any], path: str, allowed: set[str]) -> None:
        for name in table:
            if name not in allowed:
                where = f"{path}.{name}" if path else name
                raise self.fail(where, f"unknown field '{name}'")

    def get(
        self,
        table: Mapping[str, Any],
        path: str,
        name: str,
        kind: type | tuple[type, ...],
        *,
        required: bool = False,
        default: Any = None,
    ) -> Any:
        where = f"{path}.{name}" if path else name
        if name not in table:
            if required:
                raise self.fail(where, "missing required key")
            return default
        value = table[name]
        # bool is an int in Python; a version or bound of `true` is a mistake
        if isinstance(value, bool) and bool not in _as_tuple(kind):
            raise self.fail(where, f"expected {_kind_name(kind)}, got {value!r}")
        if not isinstance(value, kind):
            raise self.fail(where, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def text(
        self, table: Mapping[str, Any], path: str, name: str, *, required: bool = False
    ) -> str:
        value: str = self.get(table, path, name, str, required=required, default="")
        where = f"{path}.{name}" if path else name
        if required and not value.strip():
            raise self.fail(where, "must not be empty")
        return value.strip()

    def strings(self, table: Mapping[str, Any], path: str, name: str) -> tuple[str, ...]:
        value = self.get(table, path, name, list, default=[])
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{path}.{name}[{i}]", f"expected a string, got {item!r}")
        return tuple(value)

    def options(self, value: Any, path: str) -> tuple[Option, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of {{ value, label }} tables, got {value!r}")
        found: list[Option] = []
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            if not isinstance(item, dict):
                raise self.fail(where, f"expected a {{ value, label }} table, got {item!r}")
            self.check_fields(item, where, {"value", "label"})
            option_value = self.text(item, where, "value", required=True)
            if not _QUESTION_KEY.match(option_value):
                raise self.fail(
                    f"{where}.value",
                    f"'{option_value}' must be lower case letters, digits and underscores",
                )
            if option_value in {o.value for o in found}:
                raise self.fail(f"{where}.value", f"duplicate option '{option_value}'")
            found.append(Option(option_value, self.text(item, where, "label", required=True)))
        return tuple(found)

    def scale(self, points_value: Any, good_value: Any, path: str, points_name: str) -> GradeScale:
        points_path = f"{path}.{points_name}" if path else points_name
        good_path = f"{path}.good_or_better" if path else "good_or_better"
        points = self.options(points_value, points_path)
        if len(points) < 2:
            raise self.fail(points_path, "a grade scale needs at least two points")
        if good_value is None:
            good_value = min(2, len(points) - 1)
        if isinstance(good_value, bool) or not isinstance(good_value, int):
            raise self.fail(good_path, f"expected a whole number, got {good_value!r}")
        if not 1 <= good_value <= len(points) - 1:
            raise self.fail(
                good_path,
                f"must be between 1 and {len(points) - 1} for a {len(points)}-point scale",
            )
        return GradeScale(points, good_value)


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


_QUESTION_FIELDS = {
    "key",
    "type",
    "label",
    "help",
    "required",
    "rollup",
    "options",
    "scale",
    "good_or_better",
    "positive",
    "not_counted",
    "prefill",
    "name",
    "max_length",
    "minimum",
    "maximum",
}
_SECTION_FIELDS = {"key", "title", "description", "rollup", "questions"}
_TEMPLATE_FIELDS = {
    "key",
    "title",
    "version",
    "description",
    "sections",
    "theme",
    "extends",
    "extends_version",
    "insert_before",
    "grade_scale",
}


def _question(r: _Reader, table: Any, path: str, rollup: str | None, scale: GradeScale) -> Question:
    if not isinstance(table, dict):
        raise r.fail(path, f"expected a table, got {table!r}")
    r.check_fields(table, path, _QUESTION_FIELDS)
    key = r.text(table, path, "key", required=True)
    if not _QUESTION_KEY.match(key):
        raise r.fail(
            f"{path}.key",
            f"'{key}' must start with a letter and use lower case letters, digits and "
            "underscores (at most 64)",
        )
    kind = r.text(table, path, "type", required=True)
    if kind not in QUESTION_TYPES:
        raise r.fail(f"{path}.type", f"unknown type '{kind}' (one of {', '.join(QUESTION_TYPES)})")
    label = r.text(table, path, "label", required=True)
    rollup = r.get(table, path, "rollup", str, default=rollup)
    if rollup is not None and rollup not in ROLLUPS:
        raise r.fail(f"{path}.rollup", f"unknown roll-up '{rollup}' (one of {', '.join(ROLLUPS)})")

    for name, allowed_for in (
        ("options", ("single_choice", "multiple_choice")),
        ("scale", ("grade",)),
        ("good_or_better", ("grade",)),
        ("max_length", ("text",)),
        ("minimum", ("number",)),
        ("maximum", ("number",)),
    ):
        if name in table and kind not in allowed_for:
            raise r.fail(f"{path}.{name}", f"not used by a {kind} question")

    options: tuple[Option, ...] = ()
    question_scale: GradeScale | None = None
    positive: tuple[str, ...] = ()
    not_counted: tuple[str, ...] = ()
    if kind == "grade":
        if "scale" in table:
            question_scale = r.scale(table["scale"], table.get("good_or_better"), path, "scale")
        else:
            question_scale = scale
        options = question_scale.points
        positive = question_scale.values[: question_scale.good_or_better]
    elif kind == "yes_no_partly":
        options, positive, not_counted = YES_NO_PARTLY, ("yes",), ("not_applicable",)
    elif kind == "threshold":
        options, positive = THRESHOLD, ("appropriate",)
    elif kind in ("single_choice", "multiple_choice"):
        if "options" not in table:
            raise r.fail(f"{path}.options", f"a {kind} question needs options")
        options = r.options(table["options"], f"{path}.options")
        if len(options) < 2:
            raise r.fail(f"{path}.options", f"a {kind} question needs at least two options")

    if "positive" in table or "not_counted" in table:
        if kind not in CHOICE_TYPES or kind == "multiple_choice":
            name = "positive" if "positive" in table else "not_counted"
            raise r.fail(f"{path}.{name}", f"not used by a {kind} question")
        values = {o.value for o in options}
        for name in ("positive", "not_counted"):
            chosen = r.strings(table, path, name)
            for i, value in enumerate(chosen):
                if value not in values:
                    raise r.fail(f"{path}.{name}[{i}]", f"'{value}' is not one of the options")
            if name in table:
                if name == "positive":
                    positive = chosen
                else:
                    not_counted = chosen
        if set(positive) & set(not_counted):
            raise r.fail(f"{path}.positive", "an option cannot be both positive and not counted")

    max_length = r.get(table, path, "max_length", int, default=DEFAULT_MAX_LENGTH)
    if max_length < 1:
        raise r.fail(f"{path}.max_length", "must be 1 or more")
    minimum = r.get(table, path, "minimum", (int, float))
    maximum = r.get(table, path, "maximum", (int, float))
    if minimum is not None and maximum is not None and minimum > maximum:
        raise r.fail(f"{path}.maximum", "must not be less than minimum")

    return Question(
        key=key,
        type=kind,
        label=label,
        help=r.text(table, path, "help"),
        required=r.get(table, path, "required", bool, default=False),
        rollup=rollup,
        options=options,
        scale=question_scale,
        positive=positive,
        not_counted=not_counted,
        prefill=r.get(table, path, "prefill", str) or None,
        name=r.text(table, path, "name"),
        max_length=max_length,
        minimum=None if minimum is None else float(minimum),
        maximum=None if maximum is None else float(maximum),
    )


def _section(r: _Reader, table: Any, path: str, scale: GradeScale) -> Section:
    if not isinstance(table, dict):
        raise r.fail(path, f"expected a table, got {table!r}")
    r.check_fields(table, path, _SECTION_FIELDS)
    key = r.text(table, path, "key", required=True)
    if not _QUESTION_KEY.match(key):
        raise r.fail(f"{path}.key", f"'{key}' must use lower case letters, digits and underscores")
    rollup = r.get(table, path, "rollup", str)
    if rollup is not None and rollup not in ROLLUPS:
        raise r.fail(f"{path}.rollup", f"unknown roll-up '{rollup}' (one of {', '.join(ROLLUPS)})")
    raw = r.get(table, path, "questions", list, required=True)
    if not raw:
        raise r.fail(f"{path}.questions", "a section needs at least one question")
    questions = tuple(
        _question(r, q, f"{path}.questions[{i}]", rollup, scale) for i, q in enumerate(raw)
    )
    return Section(
        key=key,
        title=r.text(table, path, "title", required=True),
        description=r.text(table, path, "description"),
        questions=questions,
    )


@dataclass(frozen=True)
class _Parsed:
    template: Template
    insert_before: str | None
    reader: _Reader


def _parse(path: Path) -> _Parsed:
    r = _Reader(path.name)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise r.fail("", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise r.fail("", f"cannot be read: {exc.strerror}") from None
    r.check_fields(data, "", _TEMPLATE_FIELDS)
    key = r.text(data, "", "key", required=True)
    if not _TEMPLATE_KEY.match(key):
        raise r.fail("key", f"'{key}' must use lower case letters, digits and hyphens")
    version = r.get(data, "", "version", int, required=True)
    if version < 1:
        raise r.fail("version", "must be 1 or more")
    scale = OFSTED_SCALE
    if "grade_scale" in data:
        table = r.get(data, "", "grade_scale", dict)
        r.check_fields(table, "grade_scale", {"points", "good_or_better"})
        if "points" not in table:
            raise r.fail("grade_scale.points", "missing required key")
        scale = r.scale(table["points"], table.get("good_or_better"), "grade_scale", "points")
    extends = r.get(data, "", "extends", str)
    extends_version = r.get(data, "", "extends_version", int)
    if extends is not None and extends_version is None:
        raise r.fail("extends_version", "missing required key (pin the version extended)")
    if extends is None and extends_version is not None:
        raise r.fail("extends", "missing required key (extends_version is set)")
    insert_before = r.get(data, "", "insert_before", str)
    if insert_before is not None and extends is None:
        raise r.fail("insert_before", "only used by a template that extends another")
    raw_sections = r.get(data, "", "sections", list, required=True)
    if not raw_sections:
        raise r.fail("sections", "a template needs at least one section")
    sections = tuple(_section(r, s, f"sections[{i}]", scale) for i, s in enumerate(raw_sections))
    template = Template(
        key=key,
        title=r.text(data, "", "title", required=True),
        version=version,
        description=r.text(data, "", "description"),
        sections=sections,
        theme=r.get(data, "", "theme", str),
        extends=extends,
        extends_version=extends_version,
        source=path.name,
    )
    _check_unique(r, template.sections, offset=0)
    return _Parsed(template, insert_before, r)


def _check_unique(r: _Reader, sections: tuple[Section, ...], offset: int) -> None:
    """Duplicate section or question keys, reported at their position in this file.

    The first ``offset`` sections come from the template extended, so a clash is always
    found in (and reported against) this file's own sections.
    """
    seen_sections: set[str] = set()
    seen_questions: set[str] = set()
    for i, section in enumerate(sections):
        where = f"sections[{i - offset}]"
        if section.key in seen_sections:
            raise r.fail(f"{where}.key", f"duplicate section key '{section.key}'")
        seen_sections.add(section.key)
        for j, q in enumerate(section.questions):
            if q.key in seen_questions:
                raise r.fail(f"{where}.questions[{j}].key", f"duplicate question key '{q.key}'")
            seen_questions.add(q.key)


def _resolve(parsed: _Parsed, bases: Mapping[tuple[str, int], Template]) -> Template:
    t = parsed.template
    if t.extends is None or t.extends_version is None:
        return t
    r = parsed.reader
    base = bases.get((t.extends, t.extends_version))
    if base is None:
        raise r.fail("extends", f"template '{t.extends}' version {t.extends_version} not found")
    position = len(base.sections)
    if parsed.insert_before is not None:
        keys = [s.key for s in base.sections]
        if parsed.insert_before not in keys:
            raise r.fail(
                "insert_before",
                f"no section '{parsed.insert_before}' in '{base.key}' version {base.version}",
            )
        position = keys.index(parsed.insert_before)
    sections = base.sections[:position] + t.sections + base.sections[position:]
    _check_unique(r, base.sections + t.sections, offset=len(base.sections))
    return dataclasses.replace(t, sections=sections)


def load_template(
    path: str | Path, *, bases: Mapping[tuple[str, int], Template] | None = None
) -> Template:
    """Load and check one template file.

    A template that ``extends`` another needs that one in ``bases`` (as returned by
    :func:`load_templates`).

    Raises
    ------
    TemplateError
        When the file is malformed; the message names the file and the key, for example
        ``core.toml: sections[2].questions[4].type: unknown type 'gradee'``.

    Examples
    --------
    >>> t = load_template(BUILTIN_DIR / "core-front-door-v1.toml")
    >>> t.key, t.version, t.question("overall_grade").type
    ('core-front-door', 1, 'grade')
    """
    parsed = _parse(Path(path))
    return _resolve(parsed, bases or {})


def load_templates(folder: str | Path) -> dict[tuple[str, int], Template]:
    """Load every ``*.toml`` template in ``folder``, keyed by ``(key, version)``.

    Examples
    --------
    >>> templates = load_templates(BUILTIN_DIR)
    >>> ("core-front-door", 1) in templates
    True
    >>> templates[("neglect", 1)].question("threshold_decision").rollup
    'threshold'
    """
    parsed = [_parse(p) for p in sorted(Path(folder).glob("*.toml"))]
    sources: dict[tuple[str, int], str] = {}
    for p in parsed:
        ident = (p.template.key, p.template.version)
        if ident in sources:
            raise p.reader.fail(
                "version",
                f"'{ident[0]}' version {ident[1]} is also defined in {sources[ident]}",
            )
        sources[ident] = p.template.source
    loaded: dict[tuple[str, int], Template] = {}
    waiting = parsed
    while waiting:
        ready = [
            p
            for p in waiting
            if p.template.extends is None
            or (p.template.extends, p.template.extends_version) in loaded
        ]
        if not ready:
            _resolve(waiting[0], loaded)  # raises: the template it extends is missing
        for p in ready:
            loaded[(p.template.key, p.template.version)] = _resolve(p, loaded)
        waiting = [p for p in waiting if all(p is not q for q in ready)]
    return dict(sorted(loaded.items()))


def latest(templates: Mapping[tuple[str, int], Template], key: str) -> Template:
    """The highest version of template ``key``; ``KeyError`` when there is none.

    Examples
    --------
    >>> latest(builtin_templates(), "core-front-door").version >= 1
    True
    """
    versions = [t for (k, _), t in templates.items() if k == key]
    if not versions:
        raise KeyError(key)
    return max(versions, key=lambda t: t.version)


def builtin_templates() -> dict[tuple[str, int], Template]:
    """The templates shipped with the package.

    Examples
    --------
    >>> sorted({key for key, _ in builtin_templates()})[:2]
    ['core-front-door', 'cse']
    """
    return load_templates(BUILTIN_DIR)
