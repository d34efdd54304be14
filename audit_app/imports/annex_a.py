"""Ofsted Annex A (Lists 1-8): an .xlsx workbook, or a folder or .zip of CSV files, one per list.

Sheets are found by name (``List 1``, ``List_1``, ``List 1: Contacts``, ``Contacts``...),
the header row wherever it sits in the first rows, headers whatever their case,
quotes or spacing.  Lists 9-11 (care leavers, adoption) are skipped with a note.
"""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .normalise import clean_text, header_key, to_child_id
from .report import ERROR, Problem, Refused, Report
from .rows import Row, RowBuilder, StagedEvent, parser_of
from .tables import Table, open_tables

__all__ = ["LISTS", "list_number", "read_annex_a", "columns_of"]


@dataclass(frozen=True)
class Col:
    label: str
    target: str  # "id", a child attribute, "start", "end", an event field, "icpc.x", "details.x"
    kind: str = "text"  # date, int, bool, text or a vocabulary name


@dataclass(frozen=True)
class ListSpec:
    number: int
    label: str
    kind: str
    columns: dict[str, Col] = field(default_factory=dict)

    @property
    def start(self) -> Col:
        return next(c for c in self.columns.values() if c.target == "start")


COMMON = [
    Col("Child Unique ID", "id"),
    Col("Gender", "sex", "sex"),
    Col("Ethnicity", "ethnicity", "ethnicity"),
    Col("Date of Birth", "dob", "date"),
    Col("Age of Child (Years)", "age", "int"),
]
DISABILITY = Col("Does the Child have a Disability", "disability", "bool")
TEAM = [Col("Allocated Team", "team"), Col("Allocated Worker", "worker")]

_SPECS: list[tuple[int, str, str, list[Col]]] = [
    (
        1,
        "Contacts",
        "contact",
        [Col("Date of Contact", "start", "date"), Col("Contact Source", "source", "source")],
    ),
    (
        2,
        "Early help",
        "early_help",
        [
            Col("Assessment start date", "start", "date"),
            Col("Assessment completion date", "end", "date"),
            Col("Organisation completing assessment", "organisation"),
        ],
    ),
    (
        3,
        "Referrals",
        "referral",
        [
            Col("Date of referral", "start", "date"),
            Col("Referral Source", "source", "source"),
            Col("Referral NFA?", "nfa", "bool"),
            Col("Number of Referrals in Last 12 Months", "referrals_last_12m", "int"),
            *TEAM,
        ],
    ),
    (
        4,
        "Assessments",
        "assessment",
        [
            DISABILITY,
            Col("Continuous Assessment Start Date", "start", "date"),
            Col("Child Seen During Continuous Assessment", "child_seen", "bool"),
            Col("Continuous Assessment Date of Authorisation", "end", "date"),
            Col(
                "Was the child assessed as requiring LA children's social care support",
                "in_need",
                "bool",
            ),
            *TEAM,
        ],
    ),
    (
        5,
        "Section 47 enquiries and ICPCs",
        "s47",
        [
            DISABILITY,
            Col("Strategy discussion initiating Section 47 Enquiry Start Date", "start", "date"),
            Col(
                "Was an Initial Child Protection Conference deemed unnecessary?",
                "icpc_not_required",
                "bool",
            ),
            Col("Date of Initial Child Protection Conference", "icpc.start", "date"),
            Col(
                "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                "icpc.plan_resulted",
                "bool",
            ),
            Col("Number of Section 47 Enquiries in the last 12 months", "s47_last_12m", "int"),
            Col("Number of ICPCs in the last 12 months", "icpcs_last_12m", "int"),
            *TEAM,
        ],
    ),
    (
        6,
        "Children in need",
        "cin_episode",
        [
            DISABILITY,
            Col("CIN Start Date", "start", "date"),
            Col("Primary Need Code", "primary_need", "need"),
            Col("Date Child Was Last Seen", "last_seen", "date"),
            Col("CIN Closure Date", "end", "date"),
            Col("Reason for Closure", "reason", "closure"),
            Col("Case Status", "case_status", "case_status"),
            *TEAM,
        ],
    ),
    (
        7,
        "Child protection",
        "cp_plan",
        [
            DISABILITY,
            Col("Child Protection Plan Start Date", "start", "date"),
            Col("Initial Category of Abuse", "category_initial", "category"),
            Col("Latest Category of Abuse", "category_latest", "category"),
            Col("Date of the Last Statutory Visit", "last_visit", "date"),
            Col("Was the Child Seen Alone?", "seen_alone", "bool"),
            Col("Date of latest review conference", "latest_review", "date"),
            Col("Child Protection Plan End Date", "end", "date"),
            Col(
                "Subject to Emergency Protection Order or Protected Under Police Powers in Last "
                "Six Months (Y/N)",
                "epo",
                "bool",
            ),
            Col("Number of Previous Child Protection Plans", "previous_plans", "int"),
            *TEAM,
        ],
    ),
    (
        8,
        "Children in care",
        "lac",
        [
            Col(
                "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
                "uasc",
                "bool",
            ),
            DISABILITY,
            Col("Date Started to be Looked After", "start", "date"),
            Col("Child's Category of Need", "category_of_need", "need"),
            Col(
                "Is this a second or subsequent period of being a Looked After Child within the "
                "last 12 months (Y/N)",
                "details.second_period_12m",
                "bool",
            ),
            Col("Start date of current legal status", "legal_status_start", "date"),
            Col("Child's Legal Status", "legal_status", "legal_status"),
            Col("Date of Latest Statutory Review", "details.latest_statutory_review", "date"),
            Col("Date of Last Social Work Visit", "details.last_social_work_visit", "date"),
            Col("What is the permanence plan for this child?", "details.permanence_plan"),
            Col("Date of Last IRO Visit / Contact to the Child", "details.last_iro_visit", "date"),
            Col("Date of Last Health Assessment", "details.last_health_assessment", "date"),
            Col("Date of Last Dental Check", "details.last_dental_check", "date"),
            Col("Number of Placements in the Last 12 months", "details.placements_12m", "int"),
            Col("Date Ceased to be Looked After", "end", "date"),
            Col("Reason Ceased to be Looked After", "reason", "ceased"),
            Col("Start Date of Most Recent Placement", "details.placement_start", "date"),
            Col("Placement Type", "placement_type", "placement_type"),
            Col("Placement Provider", "placement_provider", "placement_provider"),
            Col("Placement postcode", "details.placement_postcode"),
            Col("URN of Placement", "details.placement_urn"),
            Col("Placement Location", "placement_location", "placement_location"),
            Col("LA of Placement", "details.placement_la"),
            Col(
                "Number of Episodes the Child has been 'Missing' from their Placement in the last "
                "12 months",
                "details.missing_episodes_12m",
                "int",
            ),
            Col(
                "Number of Episodes the Child has been 'Absent' from their Placement in the last "
                "12 months",
                "details.absent_episodes_12m",
                "int",
            ),
            Col(
                "Was the child offered a Return Interview after their last missing episode (Y/N)?",
                "details.return_interview_offered",
                "bool",
            ),
            Col(
                "Did the child accept a Return Interview after their last missing episode (Y/N)?",
                "details.return_interview_accepted",
                "bool",
            ),
            *TEAM,
        ],
    ),
]

#: Other spellings seen in authorities' exports, as header keys -> the template's header.
ALIASES = {
    "age": "Age of Child (Years)",
    "age of child": "Age of Child (Years)",
    "child id": "Child Unique ID",
    "child unique identifier": "Child Unique ID",
    "unique child id": "Child Unique ID",
    "gender/sex": "Gender",
    "sex": "Gender",
    "dob": "Date of Birth",
    "was the child assessed as being in need at assessment": (
        "Was the child assessed as requiring LA children's social care support"
    ),
    "is this a second or subsequent episode of being a looked after child within the last 12 "
    "months (y/n)": "Is this a second or subsequent period of being a Looked After Child within "
    "the last 12 months (Y/N)",
    "did the initial child protection conference result in a child protection plan": (
        "Did the Initial Child Protection Conference Result in a Child Protection Plan"
    ),
}

LISTS: dict[int, ListSpec] = {}
for _n, _label, _kind, _cols in _SPECS:
    _columns = {header_key(c.label): c for c in [*COMMON, *_cols]}
    for _alias, _target in ALIASES.items():
        if header_key(_target) in _columns:
            _columns[header_key(_alias)] = _columns[header_key(_target)]
    LISTS[_n] = ListSpec(_n, _label, _kind, _columns)

SKIPPED = {9: "Care leavers", 10: "Adoption", 11: "Adopters"}

_NAMED = [
    (r"\bearly help\b", 2),
    (r"\bcontacts?\b", 1),
    (r"\breferrals?\b", 3),
    (r"\bs(?:ection|ec)?\.? ?47\b|\bicpcs?\b", 5),
    (r"\bassessments?\b", 4),
    (r"\bchildren in need\b|^cin\b", 6),
    (r"\bchild protection\b|^cp\b", 7),
    (r"\bchildren in care\b|\blooked after\b|^cla\b|^lac\b", 8),
    (r"\bcare leavers?\b", 9),
    (r"\badopters?\b", 11),
    (r"\badoptions?\b", 10),
]


def list_number(name: str) -> int | None:
    """The Annex A list a sheet or file name is: ``List 1``, ``List_1: Contacts``, ``Contacts``.

    >>> [list_number(n) for n in ("List 1", "List_10", "list 1: contacts", "Sec47 and ICPC")]
    [1, 10, 1, 5]
    >>> list_number("Codes_used") is None
    True
    """
    key = header_key(name).replace("_", " ")
    key = re.sub(r"\.(csv|txt)$", "", key)
    match = re.match(r"^(?:annex a )?list\s*0*(\d{1,2})(?!\d)", key)
    if match:
        return int(match.group(1))
    for pattern, number in _NAMED:
        if re.search(pattern, key):
            return number
    return None


def columns_of(number: int) -> list[str]:
    """The template's headers of list ``number``, in order (for writing test files)."""
    spec = LISTS[number]
    seen: list[str] = []
    for col in spec.columns.values():
        if col.label not in seen:
            seen.append(col.label)
    return seen


def _find_header(spec: ListSpec, rows: Iterator[tuple[int, tuple]]):
    for number, cells in rows:
        keys = [header_key(c) for c in cells]
        known = [k for k in keys if k in spec.columns]
        if len(known) >= 2 and any(spec.columns[k].target == "id" for k in known):
            return number, cells
        if number >= 25:
            break
    return None, None


def _read_list(table: Table, spec: ListSpec, report: Report) -> Iterator[Row]:
    key = f"List {spec.number}"
    report.add_list(key, spec.label)
    rows = iter(table.rows)
    header_at, header = _find_header(spec, rows)
    if header is None:
        report.problem(
            table.name,
            None,
            Problem(
                ERROR,
                None,
                None,
                f"{table.name}: no header row with 'Child Unique ID' was found in its first "
                "25 rows; "
                "the sheet was not read",
            ),
        )
        return
    columns: dict[int, Col] = {}
    for index, text in enumerate(header):
        k = header_key(text)
        if not k:
            continue
        if k in spec.columns:
            columns.setdefault(index, spec.columns[k])
        else:
            report.note(
                f"{table.name}: column '{clean_text(text)}' is not an Annex A column of "
                f"{key}; it was ignored"
            )
    targets = {c.target for c in columns.values()}
    missing = [
        c.label
        for c in (spec.columns[header_key("Child Unique ID")], spec.start)
        if c.target not in targets
    ]
    plan = _plan(columns)
    for number, cells in rows:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if missing:
            row = Row(key, table.name, number)
            RowBuilder(row).error(missing[0], None, f"{key} has no '{missing[0]}' column")
            yield row
            continue
        yield _row(spec, key, table.name, number, cells, plan)


def _age_at(dob: date, when: date) -> int:
    return when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))


# What _row does with a column's cell: the branches of its loop.
_ID, _CHILD, _DOB, _AGE, _START, _END, _ICPC, _DETAIL, _FIELD = range(9)


def _branch(target: str) -> int:
    if target == "id":
        return _ID
    if target in ("sex", "ethnicity", "disability", "uasc"):
        return _CHILD
    fixed = {"dob": _DOB, "age": _AGE, "start": _START, "end": _END}
    if target in fixed:
        return fixed[target]
    if target.startswith("icpc."):
        return _ICPC
    return _DETAIL if target.startswith("details.") else _FIELD


def _plan(columns: dict[int, Col]) -> list[tuple[int, Col, int, Any]]:
    """Each read column once per list: (cell index, column, branch, the kind's parser)."""
    return [(i, c, _branch(c.target), parser_of(c.kind)) for i, c in columns.items()]


def _row(spec: ListSpec, key: str, sheet: str, number: int, cells: tuple, plan: list[tuple]) -> Row:
    row = Row(key, sheet, number)
    b = RowBuilder(row)
    main = StagedEvent(spec.kind, date.min)
    icpc: dict[str, Any] = {}
    dob_value = age = None
    age_col = None
    width = len(cells)
    for index, col, branch, parser in plan:
        value = cells[index] if index < width else None
        if value is None or (isinstance(value, str) and not value.strip()):
            # A blank cell: only the child ID and the start date must be there.
            if branch == _ID or branch == _START:
                value = None
            else:
                continue
        target = col.target
        if branch == _FIELD:
            v = b.parse(col.label, value, col.kind, raw=main.raw, name=target, parser=parser)
            if v is not None:
                main.fields[target] = v
        elif branch == _CHILD:
            v = b.parse(col.label, value, col.kind, raw=row.child_raw, name=target, parser=parser)
            if v is not None:
                row.child[target] = v
        elif branch == _ID:
            if b.too_long(col.label, value):
                continue
            parsed = to_child_id(value)
            if parsed.value is None:
                b.error(
                    col.label,
                    value,
                    f"{col.label} is missing"
                    if parsed.how == "blank"
                    else f"{col.label} '{clean_text(value)}' is not a child identifier",
                )
            row.child_ref = parsed.value
        elif branch == _DOB:
            dob_value = b.parse(col.label, value, "date")
        elif branch == _AGE:
            age, age_col = b.parse(col.label, value, "int"), col.label
        elif branch == _START:
            main.start = b.parse(col.label, value, "date", required=True) or date.min
        elif branch == _END:
            main.end = b.parse(col.label, value, "date")
        elif branch == _ICPC:
            icpc[target[5:]] = (
                col.label,
                b.parse(col.label, value, col.kind, raw=main.raw, name=target, parser=parser),
            )
        else:
            v = b.parse(col.label, value, col.kind, parser=parser)
            if v is not None:
                main.details[target[8:]] = v
    if row.rejected:
        return row
    start_col = spec.start.label
    if main.end is not None and main.end < main.start:
        end_col = next(c.label for _, c, branch, _ in plan if branch == _END)
        b.error(
            end_col,
            main.end,
            f"{end_col} ({main.end:%d/%m/%Y}) is before {start_col} ({main.start:%d/%m/%Y})",
        )
        return row
    if dob_value is not None:
        if age == -1:
            row.child["expected_dob"] = dob_value
        else:
            row.child["dob"] = dob_value
            if main.start < dob_value:
                b.warn(
                    start_col,
                    main.start,
                    f"{start_col} ({main.start:%d/%m/%Y}) is before the "
                    f"date of birth ({dob_value:%d/%m/%Y}): the child was unborn then",
                )
            if age is not None and not (
                _age_at(dob_value, main.start) <= age <= _age_at(dob_value, date.today())
            ):
                b.warn(
                    age_col,
                    age,
                    f"{age_col} {age} does not agree with the date of birth ({dob_value:%d/%m/%Y})",
                )
    row.events.append(main)
    if spec.kind == "s47" and icpc.get("start", (None, None))[1] is not None:
        _, icpc_start = icpc["start"]
        event = StagedEvent("icpc", icpc_start)
        plan = icpc.get("plan_resulted", (None, None))[1]
        if plan is not None:
            event.fields["plan_resulted"] = plan
        if "icpc.plan_resulted" in main.raw:
            event.raw["plan_resulted"] = main.raw.pop("icpc.plan_resulted")
        for name in ("team", "worker"):
            if name in main.fields:
                event.fields[name] = main.fields[name]
        if icpc_start < main.start:
            b.warn(
                icpc["start"][0],
                icpc_start,
                f"{icpc['start'][0]} ({icpc_start:%d/%m/%Y}) is "
                f"before the strategy discussion ({main.start:%d/%m/%Y})",
            )
        row.events.append(event)
    main.raw.pop("icpc.plan_resulted", None)
    if spec.kind == "cin_episode" and main.end is not None and "reason" in main.fields:
        closure = StagedEvent("closure", main.end, fields={"reason": main.fields["reason"]})
        if "reason" in main.raw:
            closure.raw["reason"] = main.raw["reason"]
        row.events.append(closure)
    return row


def _by_headers(table: Table) -> tuple[int | None, Table]:
    """A table whose name says nothing: the list whose ID and start-date headers it has."""
    rows = iter(table.rows)
    head = list(itertools.islice(rows, 25))
    again = Table(table.name, itertools.chain(head, rows))
    for _, cells in head:
        keys = {header_key(c) for c in cells}
        for number, spec in LISTS.items():
            if header_key(spec.start.label) in keys and "child unique id" in keys:
                return number, again
    return None, again


def read_annex_a(source, report: Report) -> Iterator[Row]:
    """Every row of Lists 1-8 of ``source`` (a workbook, folder or zip of CSV files)."""
    report.file_format = "annex-a"
    found: dict[int, str] = {}
    tables = open_tables(source)
    any_table = False
    for table in tables:
        any_table = True
        number = list_number(table.name)
        if number is None:
            number, table = _by_headers(table)
        if number is None:
            continue
        if number in SKIPPED:
            report.note(
                f"{table.name} (List {number}: {SKIPPED[number]}) is not used by the app; "
                "it was skipped"
            )
            continue
        if number not in LISTS:
            continue
        if number in found:
            report.note(
                f"{table.name} is a second List {number} (after {found[number]}); it was ignored"
            )
            continue
        found[number] = table.name
        yield from _read_list(table, LISTS[number], report)
    if not any_table:
        raise Refused("The workbook has no sheets.")
    if not found:
        raise Refused(
            "None of Annex A Lists 1 to 8 was found. Name each sheet (or CSV file) after its "
            "list, for example 'List 1' or 'Contacts'."
        )
