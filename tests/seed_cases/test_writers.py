"""The CSV, Annex A and CIN census writers produce well-formed files that match the data."""

import csv
import xml.etree.ElementTree as ET
from datetime import date, datetime

import openpyxl
import pytest

from journeys.events import EVENT_FIELDS
from seed_cases import generate
from seed_cases.annex_a import ANNEX_A_HEADERS, ANNEX_A_TITLES, annex_a_projection, write_annex_a
from seed_cases.cin_census import write_cin_census
from seed_cases.csv_format import CHILD_COLUMNS, EVENT_COLUMNS, write_csv
from tests.conftest import OFSTED_TEMPLATE as TEMPLATE


@pytest.fixture(scope="module")
def authority():
    return generate(400, seed=3)


@pytest.fixture(scope="module")
def cases(authority):
    return authority.cases()


class TestCsv:
    def test_round_trips_children_and_events(self, authority, cases, tmp_path):
        children_path, events_path = write_csv(authority, tmp_path)
        assert not children_path.read_bytes().startswith(b"\xef\xbb\xbf")
        with children_path.open(encoding="utf-8", newline="") as f:
            children = list(csv.DictReader(f))
        with events_path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            assert tuple(reader.fieldnames) == EVENT_COLUMNS
            events = list(reader)
        assert tuple(children[0]) == CHILD_COLUMNS
        assert [c["child_id"] for c in children] == [c.child.child_id for c in cases]
        assert children[0]["child_id"] == "0000001"
        assert len(events) == sum(len(c.events) for c in cases)
        first = cases[0].events[0]
        assert events[0]["start"] == first.start.isoformat()
        assert events[0]["kind"] == first.kind

    def test_booleans_are_y_or_n_and_none_is_empty(self, authority, tmp_path):
        _, events_path = write_csv(authority, tmp_path)
        with events_path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for name in ("nfa", "child_seen", "in_need", "plan_resulted", "seen_alone", "epo"):
            assert EVENT_FIELDS[name] is bool
            assert {r[name] for r in rows} <= {"Y", "N", ""}
        assert any(r["nfa"] == "Y" for r in rows) and any(r["end"] == "" for r in rows)


class TestAnnexA:
    def test_sheets_titles_and_headers_match_the_template(self, authority, tmp_path):
        if not TEMPLATE.exists():
            pytest.fail(f"the vendored Ofsted Annex A template is missing: {TEMPLATE}")
        template = openpyxl.load_workbook(TEMPLATE, read_only=True)
        ours = openpyxl.load_workbook(write_annex_a(authority, tmp_path / "a.xlsx"), read_only=True)
        assert ours.sheetnames == [f"List_{n}" for n in range(1, 9)]
        for n in range(1, 9):
            want = list(template[f"List_{n}"].iter_rows(min_row=1, max_row=2, values_only=True))
            got = list(ours[f"List_{n}"].iter_rows(min_row=1, max_row=2, values_only=True))
            assert got[0][0] == want[0][0] == ANNEX_A_TITLES[n]
            assert list(got[1]) == [h for h in want[1] if h is not None] == ANNEX_A_HEADERS[n]

    def test_rows_written_are_the_projection(self, authority, tmp_path):
        census = date(2026, 3, 31)
        path = write_annex_a(authority, tmp_path / "a.xlsx", census_date=census)
        projection = annex_a_projection(authority, census)
        book = openpyxl.load_workbook(path, read_only=True)
        for n in range(1, 9):
            rows = list(book[f"List_{n}"].iter_rows(min_row=3, values_only=True))
            got = [
                {
                    h: (v.date() if isinstance(v, datetime) else v)
                    for h, v in zip(ANNEX_A_HEADERS[n], r, strict=True)
                }
                for r in rows
            ]
            assert got == projection[n], f"List {n}"
            assert projection[n], f"List {n} is empty"

    def test_lists_one_to_five_cover_six_months(self, authority):
        census = authority.end
        rows = annex_a_projection(authority, census)
        contacts = sum(
            1
            for c in authority.iter_cases()
            for e in c.events
            if e.kind == "contact" and date(2026, 3, 30) < e.start <= census
        )
        assert len(rows[1]) == contacts
        assert all(date(2026, 3, 30) < r["Date of referral"] <= census for r in rows[3])
        assert {r["Gender"] for r in rows[1]} <= {
            "a) Male",
            "b) Female",
            "c) Not stated/recorded",
            "d) Neither",
        }

    def test_lists_six_to_eight_have_one_row_per_child(self, authority):
        rows = annex_a_projection(authority)
        for n in (6, 7, 8):
            ids = [r["Child Unique ID"] for r in rows[n]]
            assert len(ids) == len(set(ids)) > 0


class TestCinCensus:
    def test_parses_and_counts_match_the_events(self, authority, cases, tmp_path):
        root = ET.parse(write_cin_census(authority, tmp_path / "cin.xml")).getroot()
        assert root.find("Header/CollectionDetails/ReferenceDate").text == "2026-09-30"
        children = root.findall("Children/Child")
        referred = [c for c in cases if any(e.kind == "referral" for e in c.events)]
        assert len(children) == len(referred)

        def count(kind):
            return sum(1 for c in cases for e in c.events if e.kind == kind)

        assert len(root.findall(".//CINdetails")) == count("referral")
        assert len(root.findall(".//Assessments")) == count("assessment")
        assert len(root.findall(".//Section47")) == count("s47")
        assert len(root.findall(".//ChildProtectionPlans")) == count("cp_plan")
        assert len(root.findall(".//CINPlanDates")) == count("cin_plan")
        factors = sum(
            len(e.get("factors").split(","))
            for c in cases
            for e in c.events
            if e.kind == "assessment" and e.get("factors")
        )
        assert len(root.findall(".//AssessmentFactors")) == factors

    def test_child_identifiers(self, authority, cases, tmp_path):
        root = ET.parse(write_cin_census(authority, tmp_path / "cin.xml")).getroot()
        first = root.find("Children/Child/ChildIdentifiers")
        assert first.find("LAchildID").text.isdigit() and len(first.find("LAchildID").text) == 7
        assert first.find("GenderCurrent").text in {"0", "1", "2", "9"}
        assert root.find(".//UPN") is None
        unborn = [c.child.child_id for c in cases if c.child.unborn]
        expected = {
            i.find("LAchildID").text
            for i in root.iter("ChildIdentifiers")
            if i.find("ExpectedPersonBirthDate") is not None
        }
        assert set(unborn) <= expected

    def test_period_keeps_referrals_open_in_it(self, authority, tmp_path):
        path = write_cin_census(
            authority,
            tmp_path / "cin.xml",
            period_start=date(2025, 4, 1),
            period_end=date(2026, 3, 31),
        )
        root = ET.parse(path).getroot()
        dates = [d.text for d in root.iter("CINreferralDate")]
        assert dates and max(dates) <= "2026-03-31"
