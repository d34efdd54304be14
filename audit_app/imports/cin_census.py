"""The DfE's CIN census XML return, read as a stream with a safe parser.

defusedxml refuses DTDs, entity declarations and external references, so neither
an entity bomb nor an external entity can be used against the app.
"""

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .normalise import clean_text, to_child_id
from .report import Refused, Report
from .rows import Row, RowBuilder, StagedEvent

__all__ = ["read_cin_census"]

SEX = {"1": "a", "m": "a", "2": "b", "f": "b", "0": "c", "u": "c", "9": "d"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: Element | None, name: str) -> str | None:
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            return clean_text(child.text)
    return None


def read_cin_census(path: Path, report: Report) -> Iterator[Row]:
    report.file_format = "cin-census"
    for key, label in (
        ("Child", "Children"),
        ("CINdetails", "Referrals (CIN details)"),
        ("Assessments", "Assessments"),
        ("CINPlanDates", "CIN plans"),
        ("Section47", "Section 47 enquiries"),
        ("ChildProtectionPlans", "Child protection plans"),
    ):
        report.add_list(key, label)
    seen_message = False
    number = 0
    try:
        for event, element in SafeET.iterparse(str(path), events=("start", "end"), forbid_dtd=True):
            tag = _local(element.tag)
            if event == "start":
                if not seen_message:
                    if tag != "Message":
                        raise Refused(
                            "This XML file is not a CIN census return (it has no "
                            "<Message> element)."
                        )
                    seen_message = True
                continue
            if tag != "Child":
                continue
            number += 1
            yield from _child(element, number)
            element.clear()
    except (DefusedXmlException, ParseError) as error:
        if isinstance(error, DefusedXmlException):
            raise Refused(
                "The XML file declares a DTD or entities, which a CIN census return "
                "never does; it was refused for safety."
            ) from None
        raise Refused(f"The XML file is not well-formed ({error}).") from None
    if number == 0:
        raise Refused("The CIN census file holds no <Child> records.")


def _child(child: Element, number: int) -> Iterator[Row]:
    ids = next(iter(_children(child, "ChildIdentifiers")), None)
    chars = next(iter(_children(child, "ChildCharacteristics")), None)
    row = Row("Child", "Child", number)
    b = RowBuilder(row)
    raw_id = _text(ids, "LAchildID")
    if not b.too_long("LAchildID", raw_id):
        parsed = to_child_id(raw_id)
        if parsed.value is None:
            b.error(
                "LAchildID",
                raw_id,
                "LAchildID is missing"
                if raw_id is None
                else f"LAchildID '{raw_id}' is not a child identifier",
            )
        row.child_ref = parsed.value
    ref = row.child_ref
    dob = b.parse("PersonBirthDate", _text(ids, "PersonBirthDate"), "date")
    expected = b.parse("ExpectedPersonBirthDate", _text(ids, "ExpectedPersonBirthDate"), "date")
    sex_text = _text(ids, "Sex") or _text(ids, "GenderCurrent")
    if sex_text is not None:
        sex = SEX.get(sex_text.lower())
        if sex is None:
            b.warn("Sex", sex_text, f"Sex '{sex_text}' is not a CIN census code; left blank")
        else:
            row.child["sex"] = sex
            row.child_raw["sex"] = sex_text
    ethnicity = b.parse(
        "Ethnicity", _text(chars, "Ethnicity"), "ethnicity", raw=row.child_raw, name="ethnicity"
    )
    disabilities = []
    if chars is not None:
        for group in _children(chars, "Disabilities"):
            disabilities += [clean_text(d.text) for d in _children(group, "Disability")]
    disabilities = [d for d in disabilities if d]
    for name, value in (("dob", dob), ("expected_dob", expected), ("ethnicity", ethnicity)):
        if value is not None:
            row.child[name] = value
    if disabilities:
        row.child["disability"] = any(d.upper() != "NONE" for d in disabilities)
        row.child_raw["disability"] = ",".join(disabilities)[:500]
    yield row
    if ref is None:
        return
    for details in _children(child, "CINdetails"):
        yield from _details(details, number, ref)


def _sub(key: str, number: int, ref: str) -> tuple[Row, RowBuilder]:
    row = Row(key, key, number, child_ref=ref)
    return row, RowBuilder(row)


def _details(details: Element, number: int, ref: str) -> Iterator[Row]:
    row, b = _sub("CINdetails", number, ref)
    start = b.parse("CINreferralDate", _text(details, "CINreferralDate"), "date", required=True)
    closed = b.parse("CINclosureDate", _text(details, "CINclosureDate"), "date")
    referral = StagedEvent("referral", start) if start else None
    plan_dates = set()
    for cpp in _children(details, "ChildProtectionPlans"):
        plan_start = _text(cpp, "CPPstartDate")
        if plan_start:
            plan_dates.add(plan_start)
    if referral is not None:
        episode = StagedEvent("cin_episode", start, closed)
        for target, column, name, kind in (
            (referral, "ReferralSource", "source", "source"),
            (referral, "ReferralNFA", "nfa", "bool"),
            (episode, "PrimaryNeedCode", "primary_need", "need"),
            (episode, "ReasonForClosure", "reason", "closure"),
        ):
            v = b.parse(column, _text(details, column), kind, raw=target.raw, name=name)
            if v is not None:
                target.fields[name] = v
        if closed and closed < start:
            b.error(
                "CINclosureDate",
                closed,
                f"CINclosureDate ({closed:%d/%m/%Y}) is before CINreferralDate ({start:%d/%m/%Y})",
            )
        row.events += [referral, episode]
        if closed:
            closure = StagedEvent("closure", closed)
            if "reason" in episode.fields:
                closure.fields["reason"] = episode.fields["reason"]
            row.events.append(closure)
        # An ICPC the census gives only at this level (not under any Section47).
        icpc_text = _text(details, "DateOfInitialCPC")
        s47_icpcs = {_text(s47, "DateOfInitialCPC") for s47 in _children(details, "Section47")}
        icpc_date = b.parse("DateOfInitialCPC", icpc_text, "date")
        if icpc_date and icpc_text not in s47_icpcs:
            row.events.append(
                StagedEvent(
                    "icpc", icpc_date, fields={"plan_resulted": icpc_date.isoformat() in plan_dates}
                )
            )
    yield row

    for element in _children(details, "Assessments"):
        row, b = _sub("Assessments", number, ref)
        a_start = b.parse(
            "AssessmentActualStartDate",
            _text(element, "AssessmentActualStartDate"),
            "date",
            required=True,
        )
        a_end = b.parse(
            "AssessmentAuthorisationDate", _text(element, "AssessmentAuthorisationDate"), "date"
        )
        factors = []
        for group in _children(element, "FactorsIdentifiedAtAssessment"):
            factors += [clean_text(f.text) for f in _children(group, "AssessmentFactors")]
        factors = [f for f in factors if f]
        if a_start and a_end and a_end < a_start:
            b.error(
                "AssessmentAuthorisationDate",
                a_end,
                f"AssessmentAuthorisationDate ({a_end:%d/%m/%Y}) is before "
                f"AssessmentActualStartDate ({a_start:%d/%m/%Y})",
            )
        if a_start:
            event = StagedEvent("assessment", a_start, a_end)
            if factors:
                event.fields["factors"] = ",".join(factors)[:400]
            row.events.append(event)
        yield row

    for element in _children(details, "CINPlanDates"):
        row, b = _sub("CINPlanDates", number, ref)
        p_start = b.parse(
            "CINPlanStartDate", _text(element, "CINPlanStartDate"), "date", required=True
        )
        p_end = b.parse("CINPlanEndDate", _text(element, "CINPlanEndDate"), "date")
        if p_start and p_end and p_end < p_start:
            b.error(
                "CINPlanEndDate",
                p_end,
                f"CINPlanEndDate ({p_end:%d/%m/%Y}) is before "
                f"CINPlanStartDate ({p_start:%d/%m/%Y})",
            )
        if p_start:
            row.events.append(StagedEvent("cin_plan", p_start, p_end))
        yield row

    for element in _children(details, "Section47"):
        row, b = _sub("Section47", number, ref)
        s_start = b.parse(
            "S47ActualStartDate", _text(element, "S47ActualStartDate"), "date", required=True
        )
        icpc_date = b.parse("DateOfInitialCPC", _text(element, "DateOfInitialCPC"), "date")
        not_required = b.parse("ICPCnotRequired", _text(element, "ICPCnotRequired"), "bool")
        if s_start:
            event = StagedEvent("s47", s_start)
            if not_required is not None:
                event.fields["icpc_not_required"] = not_required
            row.events.append(event)
            if icpc_date:
                # The census has no "resulted in a plan" flag: a plan starting that day says so.
                row.events.append(
                    StagedEvent(
                        "icpc",
                        icpc_date,
                        fields={"plan_resulted": icpc_date.isoformat() in plan_dates},
                    )
                )
        yield row

    for element in _children(details, "ChildProtectionPlans"):
        row, b = _sub("ChildProtectionPlans", number, ref)
        c_start = b.parse("CPPstartDate", _text(element, "CPPstartDate"), "date", required=True)
        c_end = b.parse("CPPendDate", _text(element, "CPPendDate"), "date")
        if c_start and c_end and c_end < c_start:
            b.error(
                "CPPendDate",
                c_end,
                f"CPPendDate ({c_end:%d/%m/%Y}) is before CPPstartDate ({c_start:%d/%m/%Y})",
            )
        event = StagedEvent("cp_plan", c_start, c_end) if c_start else None
        if event is not None:
            for column, name, kind in (
                ("InitialCategoryOfAbuse", "category_initial", "category"),
                ("LatestCategoryOfAbuse", "category_latest", "category"),
                ("NumberOfPreviousCPP", "previous_plans", "int"),
            ):
                v = b.parse(column, _text(element, column), kind, raw=event.raw, name=name)
                if v is not None:
                    event.fields[name] = v
            reviews = []
            for group in _children(element, "Reviews"):
                for review in _children(group, "CPPreviewDate"):
                    when = b.parse("CPPreviewDate", clean_text(review.text), "date")
                    if when:
                        reviews.append(when)
            if reviews:
                reviews.sort()
                event.fields["reviews"] = ",".join(r.isoformat() for r in reviews)[:2000]
                event.fields["latest_review"] = reviews[-1]
            row.events.append(event)
        yield row
