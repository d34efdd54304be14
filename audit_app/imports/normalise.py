"""Turning the values of a case-data file into the codes the app stores.

Annex A values come coded (``b) Female``, ``a) 1A: Individual``) or uncoded
(``Female``, ``F``, ``School``, ``yes``).  Each ``to_*`` function returns a
:class:`Parsed`: the stored value and how it was recognised, so that readers can
warn about values that had to be guessed.  Nothing here reads the clock except
:func:`two_digit_year`, which needs a pivot.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

__all__ = [
    "Parsed",
    "MAX_CELL",
    "clean_text",
    "header_key",
    "to_child_id",
    "to_date",
    "to_int",
    "to_bool",
    "to_code",
    "VOCABULARIES",
]

#: Excel's own limit on the characters of a cell; longer values are refused.
MAX_CELL = 32767

EXACT, CODED, MAPPED, BLANK, BAD = "exact", "coded", "mapped", "blank", "bad"


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed value: ``how`` is exact, coded, mapped (a guess worth a warning), blank or bad."""

    value: Any
    how: str
    label: str | None = None  # what a mapped value was read as, for the warning

    @property
    def ok(self) -> bool:
        return self.how != BAD


BLANK_VALUE = Parsed(None, BLANK)
#: The most texts a vocabulary remembers the parse of (parsing is pure; the memo is a cache).
SEEN_LIMIT = 10_000

_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"',
        "\u201d": '"', "\u00a0": " ", "\u2007": " ", "\u202f": " ",
    }
)  # fmt: skip


def clean_text(value: Any) -> str | None:
    """A cell as text: ``None`` for blanks, whitespace trimmed, odd spaces made plain."""
    if value is None:
        return None
    if type(value) is str:  # most cells; the quotes and odd spaces are never ASCII
        text = (value if value.isascii() else value.translate(_QUOTES)).strip()
        return text or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).translate(_QUOTES).strip()
    return text or None


def header_key(value: Any) -> str:
    """A header as a lookup key: case, quotes, spaces and a final ``?`` do not matter."""
    text = unicodedata.normalize("NFKC", str(value or "")).translate(_QUOTES).lower()
    text = re.sub(r"\s+", " ", text).strip()
    text = text.replace("(y/n))", "(y/n)").rstrip("?").strip()
    return text


def to_child_id(value: Any) -> Parsed:
    """Child IDs are strings: ``00123`` stays ``00123``; a number ``1234.0`` becomes ``1234``."""
    if value is None:
        return BLANK_VALUE
    if isinstance(value, bool):
        return Parsed(None, BAD)
    if isinstance(value, float) and not value.is_integer():
        return Parsed(None, BAD)
    if isinstance(value, int | float):  # 1e64 is a whole number, and 65 digits: too long
        text = str(int(value))
        return Parsed(text, EXACT) if len(text) <= 64 else Parsed(None, BAD)
    text = clean_text(value)
    if text is None:
        return BLANK_VALUE
    if _WHOLE_TEXT.fullmatch(text):
        text = text.split(".")[0]
    if len(text) > 64 or _CONTROL.search(text):
        return Parsed(None, BAD)
    return Parsed(text, EXACT)


_WHOLE_TEXT = re.compile(r"\d+\.0+")
_CONTROL = re.compile(r"[\x00-\x1f]")


EXCEL_EPOCH = datetime(1899, 12, 30)


def two_digit_year(yy: int, *, today: date | None = None) -> int:
    """``DD/MM/YY``: 2000s unless that would be more than a year ahead."""
    this_year = (today or date.today()).year
    year = 2000 + yy
    return year if year <= this_year + 1 else 1900 + yy


def to_date(value: Any) -> Parsed:
    """Excel dates, ``DD/MM/YYYY``, ``DD/MM/YY`` and ISO strings; anything else is bad."""
    if value is None:
        return BLANK_VALUE
    if isinstance(value, datetime):
        return Parsed(value.date(), EXACT)
    if isinstance(value, date):
        return Parsed(value, EXACT)
    if isinstance(value, bool):
        return Parsed(None, BAD)
    if isinstance(value, int | float):
        # An Excel serial day number in a cell not formatted as a date.
        if 1 <= value < 2958466:
            return Parsed((EXCEL_EPOCH + timedelta(days=int(value))).date(), EXACT)
        return Parsed(None, BAD)
    text = clean_text(value)
    if text is None:
        return BLANK_VALUE
    try:
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            if len(match.group(3)) == 2:
                year = two_digit_year(year)
            return Parsed(date(year, month, day), EXACT)
        match = re.fullmatch(
            r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?", text
        )
        if match:
            return Parsed(date(*(int(g) for g in match.groups())), EXACT)
    except ValueError:
        pass
    return Parsed(None, BAD)


#: Counts and ages are below this (nine digits, as the text form allows); PostgreSQL's
#: INTEGER would refuse much more than it, so a larger number is a bad value.
INT_LIMIT = 10**9


def to_int(value: Any) -> Parsed:
    if value is None:
        return BLANK_VALUE
    if isinstance(value, bool):
        return Parsed(None, BAD)
    if isinstance(value, int | float):
        # as many digits as a typed-in count may have (below): a database integer holds it
        if isinstance(value, float) and not value.is_integer():
            return Parsed(None, BAD)
        return Parsed(int(value), EXACT) if abs(value) < INT_LIMIT else Parsed(None, BAD)
    text = clean_text(value)
    if text is None:
        return BLANK_VALUE
    if re.fullmatch(r"-?\d{1,9}(\.0+)?", text):
        return Parsed(int(text.split(".")[0]), EXACT)
    return Parsed(None, BAD)


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}
_MAPPED_TRUE = {"yes", "y"}
_MAPPED_FALSE = {"no", "n"}
_UNKNOWN = {"unknown", "c) unknown", "not known", "u"}


def to_bool(value: Any, *, yn_exact: bool = False) -> Parsed:
    """``a) Yes``/``b) No`` (coded), ``true``/``false``/``1``/``0`` (exact), ``yes``/``Y`` (mapped).

    The app's own CSV writes ``Y``/``N``: with ``yn_exact`` those are exact too.
    """
    if value is None:
        return BLANK_VALUE
    if isinstance(value, bool):
        return Parsed(value, EXACT)
    text = clean_text(value)
    if text is None:
        return BLANK_VALUE
    key = text.lower()
    if key in {"a) yes", "a)yes"}:
        return Parsed(True, CODED)
    if key in {"b) no", "b)no"}:
        return Parsed(False, CODED)
    if key in _TRUE or (yn_exact and key == "y"):
        return Parsed(True, EXACT)
    if key in _FALSE or (yn_exact and key == "n"):
        return Parsed(False, EXACT)
    if key in _MAPPED_TRUE:
        return Parsed(True, MAPPED, "a) Yes")
    if key in _MAPPED_FALSE:
        return Parsed(False, MAPPED, "b) No")
    if key in _UNKNOWN:
        return Parsed(None, CODED)
    return Parsed(None, BAD)


class Vocabulary:
    """The codes of one coded field: code -> Annex A label, and uncoded synonyms -> code."""

    def __init__(self, name: str, labels: dict[str, str], synonyms: dict[str, str]):
        self.name = name
        self.labels = labels  # stored code -> Annex A preferred code, e.g. "b" -> "b) Female"
        self.synonyms = synonyms  # lower-case uncoded value -> stored code
        self._by_label = {re.sub(r"\s+", " ", lab.lower()): code for code, lab in labels.items()}
        self._by_code = {code.lower(): code for code in labels}
        self._seen: dict[str, Parsed] = {}  # a column holds few distinct texts: each parsed once

    def parse(self, value: Any) -> Parsed:
        if type(value) is not str:
            return self._parse(value)
        parsed = self._seen.get(value)
        if parsed is None:
            if len(self._seen) >= SEEN_LIMIT:
                self._seen.clear()
            parsed = self._seen[value] = self._parse(value)
        return parsed

    def _parse(self, value: Any) -> Parsed:
        text = clean_text(value)
        if text is None:
            return BLANK_VALUE
        if len(text) > 400:
            return Parsed(None, BAD)
        key = re.sub(r"\s+", " ", text.lower())
        if key in self._by_code:
            return Parsed(self._by_code[key], EXACT)
        if key in self._by_label:
            return Parsed(self._by_label[key], CODED)
        # "x) 1A: Anything" or "N1 - anything": the code inside a coded value.
        inner = re.sub(r"^[a-z]{1,2}\)\s*", "", key)
        match = re.match(r"^([a-z]{0,3}\d{1,2}[a-z]?)\s*(?:[:\-–]|$)", inner)
        if match and match.group(1) in self._by_code:
            return Parsed(self._by_code[match.group(1)], CODED)
        for candidate in (key, inner):
            if candidate in self.synonyms:
                code = self.synonyms[candidate]
                return Parsed(code, MAPPED, self.labels[code])
        return Parsed(None, BAD)


def _lettered(pairs: list[tuple[str, str]]) -> dict[str, str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return {code: f"{letters[i]}) {label}" for i, (code, label) in enumerate(pairs)}


SEX = Vocabulary(
    "sex",
    {"a": "a) Male", "b": "b) Female", "c": "c) Not stated/recorded", "d": "d) Neither"},
    {
        "male": "a",
        "m": "a",
        "boy": "a",
        "1": "a",
        "female": "b",
        "f": "b",
        "girl": "b",
        "2": "b",
        "not stated": "c",
        "not recorded": "c",
        "not stated/recorded": "c",
        "unknown": "c",
        "unborn": "c",
        "u": "c",
        "0": "c",
        "c) not stated/recorded (or unborn)": "c",
        "neither": "d",
        "9": "d",
        "i": "d",
        "indeterminate": "d",
    },
)

_ETHNICITIES = [
    ("WBRI", "White British"),
    ("WIRI", "White Irish"),
    ("WIRT", "Traveller of Irish heritage"),
    ("WOTH", "Any other White background"),
    ("WROM", "Gypsy/Roma"),
    ("MWBC", "White and Black Caribbean"),
    ("MWBA", "White and Black African"),
    ("MWAS", "White and Asian"),
    ("MOTH", "Any other Mixed background"),
    ("AIND", "Indian"),
    ("APKN", "Pakistani"),
    ("ABAN", "Bangladeshi"),
    ("AOTH", "Any other Asian background"),
    ("BCRB", "Caribbean"),
    ("BAFR", "African"),
    ("BOTH", "Any other Black background"),
    ("CHNE", "Chinese"),
    ("OOTH", "Any other ethnic group"),
    ("REFU", "Refused"),
    ("NOBT", "Information not yet obtained"),
]
ETHNICITY = Vocabulary(
    "ethnicity",
    {
        code: f"{'abcdefghijklmnopqrs'[min(i, 18)]}) {code}"
        for i, (code, _) in enumerate(_ETHNICITIES)
    },
    {label.lower(): code for code, label in _ETHNICITIES} | {"not obtained": "NOBT"},
)

_SOURCES = [
    ("1A", "Individual"),
    ("1B", "Individual"),
    ("1C", "Individual"),
    ("1D", "Individual"),
    ("2A", "Schools"),
    ("2B", "Education services"),
    ("3A", "Health services"),
    ("3B", "Health services"),
    ("3C", "Health services"),
    ("3D", "Health services"),
    ("3E", "Health services"),
    ("3F", "Health services"),
    ("4", "Housing"),
    ("5A", "LA services"),
    ("5B", "LA services"),
    ("5C", "LA services"),
    ("6", "Police"),
    ("7", "Other legal agency"),
    ("8", "Other"),
    ("9", "Anonymous"),
    ("10", "Unknown"),
]
SOURCE = Vocabulary(
    "source",
    _lettered([(code, f"{code}: {label}") for code, label in _SOURCES]),
    {
        "individual": "1A",
        "family": "1A",
        "family member": "1A",
        "relative": "1A",
        "acquaintance": "1B",
        "neighbour": "1B",
        "self": "1C",
        "stranger": "1D",
        "school": "2A",
        "schools": "2A",
        "education": "2B",
        "education services": "2B",
        "gp": "3A",
        "health visitor": "3B",
        "school nurse": "3C",
        "a&e": "3E",
        "hospital": "3E",
        "health": "3F",
        "health services": "3F",
        "housing": "4",
        "social care": "5A",
        "adult social care": "5A",
        "la services": "5B",
        "police": "6",
        "court": "7",
        "probation": "7",
        "cafcass": "7",
        "other legal agency": "7",
        "other": "8",
        "voluntary": "8",
        "anonymous": "9",
        "unknown": "10",
    },
)

_NEEDS = [
    ("N1", "Abuse or neglect"),
    ("N2", "Child's disability"),
    ("N3", "Parental disability or illness"),
    ("N4", "Family in acute stress"),
    ("N5", "Family dysfunction"),
    ("N6", "Socially unacceptable behaviour"),
    ("N7", "Low income"),
    ("N8", "Absent parenting"),
    ("N9", "Cases other than children in need"),
    ("N0", "Not stated"),
]
NEED = Vocabulary(
    "need",
    {code: f"{code} - {label}" for code, label in _NEEDS},
    {label.lower(): code for code, label in _NEEDS} | {"parental illness or disability": "N3"},
)

_CLOSURES = [
    ("RC1", "Adopted"),
    ("RC2", "Died"),
    ("RC3", "Child arrangements order"),
    ("RC4", "Special guardianship order"),
    ("RC5", "Transferred to services of another local authority"),
    ("RC6", "Transferred to adult social care services"),
    ("RC7", "Services ceased for any other reason, including child no longer in need"),
    ("RC8", "Case closed after assessment, no further action"),
]
CLOSURE_REASON = Vocabulary(
    "closure",
    {code: f"{code} - {label}" for code, label in _CLOSURES},
    {label.lower(): code for code, label in _CLOSURES},
)

CASE_STATUS = Vocabulary(
    "case_status",
    _lettered(
        [
            (s, s)
            for s in (
                "Looked after child",
                "Child Protection plan",
                "Child in need plan",
                "Open assessment",
                "Closed episode",
            )
        ]
    ),
    {
        "lac": "Looked after child",
        "cla": "Looked after child",
        "cp": "Child Protection plan",
        "cp plan": "Child Protection plan",
        "cin": "Child in need plan",
        "cin plan": "Child in need plan",
        "open": "Open assessment",
        "closed": "Closed episode",
    },
)

_CATEGORIES = [
    ("NEG", "Neglect"),
    ("PHY", "Physical abuse"),
    ("SAB", "Sexual abuse"),
    ("EMO", "Emotional abuse"),
    ("MUL", "Multiple/not recommended"),
]
CATEGORY = Vocabulary(
    "category",
    _lettered(_CATEGORIES),
    {
        "neglect": "NEG",
        "physical": "PHY",
        "sexual": "SAB",
        "emotional": "EMO",
        "multiple": "MUL",
        "physical abuse": "PHY",
        "sexual abuse": "SAB",
        "emotional abuse": "EMO",
        "multiple/not recommended": "MUL",
    },
)

_LEGAL = ["C1", "C2", "D1", "E1", "V2", "L1", "L2", "L3", "J1", "J2", "J3", "V3", "V4"]
LEGAL_STATUS = Vocabulary("legal_status", {c: c for c in _LEGAL}, {})

_PLACEMENTS = [
    "U1",
    "U2",
    "U3",
    "U4",
    "U5",
    "U6",
    "A3",
    "A4",
    "A5",
    "A6",
    "P1",
    "P2",
    "P3",
    "H5",
    "K1",
    "K2",
    "R1",
    "R2",
    "R3",
    "R5",
    "S1",
    "Z1",
    "T0",
    "T1",
    "T2",
    "T3",
    "T4",
]
PLACEMENT_TYPE = Vocabulary("placement_type", {c: c for c in _PLACEMENTS}, {})
PLACEMENT_PROVIDER = Vocabulary(
    "placement_provider",
    {f"PR{i}": f"PR{i}" for i in range(6)},
    {
        "own provision": "PR1",
        "private provision": "PR4",
        "private": "PR4",
        "voluntary": "PR5",
        "parents": "PR0",
    },
)
PLACEMENT_LOCATION = Vocabulary(
    "placement_location",
    {"In": "a) In", "Out": "b) Out"},
    {"inside": "In", "in la": "In", "outside": "Out", "out of la": "Out"},
)
_CEASED = [
    "E11",
    "E12",
    "E2",
    "E3",
    "E4A",
    "E4B",
    "E13",
    "E41",
    "E45",
    "E46",
    "E47",
    "E48",
    "E5",
    "E6",
    "E7",
    "E9",
    "E14",
    "E15",
    "E16",
    "E8",
    "X1",
]
CEASED_REASON = Vocabulary("ceased", {c: c for c in _CEASED}, {})

VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        SEX,
        ETHNICITY,
        SOURCE,
        NEED,
        CLOSURE_REASON,
        CASE_STATUS,
        CATEGORY,
        LEGAL_STATUS,
        PLACEMENT_TYPE,
        PLACEMENT_PROVIDER,
        PLACEMENT_LOCATION,
        CEASED_REASON,
    )
}


def to_code(vocabulary: str, value: Any) -> Parsed:
    """``value`` as a code of ``vocabulary`` (a key of :data:`VOCABULARIES`)."""
    return VOCABULARIES[vocabulary].parse(value)
