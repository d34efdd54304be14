"""The SEF's files: Appendix C's shape, every evidence table, nothing that identifies a child."""

import io
import json
import re
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from audit_app.db import session_scope
from audit_app.exporting import safe_cell
from audit_app.models import AccessLog, AuditCase
from audit_app.reports.exports import SECTIONS, evidence_tables
from audit_app.reports.pseudonyms import pseudonym, secret_from
from tests.conftest import Auth
from tests.reports import sef_data

SECRET = secret_from("test-secret")
PERIOD = {"from": "2025-01-01", "to": "2025-06-30"}
APPENDIX_C = [title for _, title in SECTIONS] + [
    "a) For the child and family – did we make a difference",
    "b) For the service – is the service deemed to be ‘good’ or better - effective and efficient",
]


@pytest.fixture
def built(app):
    with session_scope(app) as session:
        ids = sef_data.build(session)
        # A tag that would run as a formula in a spreadsheet, to prove it cannot.
        case = session.get(AuditCase, ids["cases"]["NM0000104"])
        case.tags = ["drift", '=HYPERLINK("http://x")']
        session.add(case)
        session.commit()
    return ids


@pytest.fixture
def files(app, client, make_user, built):
    make_user("qa", "qa_lead")
    auth = Auth(client)
    auth.login("qa")
    auth.post(
        "/reports/sef/meta",
        {
            "date_of_assessment": "2025-07-01",
            "lead_person": "QA lead",
            "completed_by": "Police; health",
        },
    )
    auth.post("/reports/sef/sections/1", {"text": "Our front door is a single MASH."})
    auth.post("/reports/sef/refresh", PERIOD)
    return {
        fmt: client.get(f"/reports/sef/export/{fmt}").data
        for fmt in ("docx", "xlsx", "csv.zip", "json")
    }


def parts(package: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        return {name: z.read(name).decode("utf-8", errors="replace") for name in z.namelist()}


def date_forms(day) -> list[str]:
    return [
        day.isoformat(),
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day} {day:%B %Y}",
        f"{day:%d %B %Y}",
        f"{day:%Y%m%d}",
    ]


class TestWordDocument:
    def test_has_appendix_c_headings_in_order_and_the_header_fields(self, files):
        document = Document(io.BytesIO(files["docx"]))
        headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
        positions = [headings.index(title) for title in APPENDIX_C]
        assert positions[:9] == sorted(positions[:9])
        header = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
        assert header["Date of Assessment:"] == "2025-07-01"
        assert header["Lead Person:"] == "QA lead"
        assert header["Period:"].startswith("01 January 2025 to 30 June 2025")
        assert header["Generated:"].endswith("UTC")
        assert "Our front door is a single MASH." in [p.text for p in document.paragraphs]

    def test_has_the_tables_and_the_charts(self, files):
        document = Document(io.BytesIO(files["docx"]))
        tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
        grades = next(t for t in tables if t[0] == ["Grade", "Cases", "%", "95% interval"])
        assert grades[1:5] == [
            ["Outstanding", "1", "12%", "2% to 47%"],
            ["Good", "3", "38%", "14% to 69%"],
            ["Requires improvement to be good", "2", "25%", "7% to 59%"],
            ["Inadequate", "2", "25%", "7% to 59%"],
        ]
        themes = next(t for t in tables if t[0][0] == "Group" and t[1][0] == "neglect")
        assert themes[2][0] == "domestic abuse" and themes[2][-1] == "too few to compare"
        service = next(t for t in tables if t[0][:3] == ["Indicator", "Value", "Unit"])
        referrals = next(r for r in service if r[0] == "Referrals")
        assert referrals[1] == "9" and referrals[5] == "632830"  # 9 children with a referral
        checklist = next(t for t in tables if t[0] == ["Item", "Element", "Ticked", "Notes"])
        assert [r[0] for r in checklist[1:]] == list("abcdefghijklmnop")
        images = [n for n in parts(files["docx"]) if n.startswith("word/media/")]
        assert len(images) >= 2  # grade distribution and the quality x timeliness matrix


class TestNothingIdentifiesAChild:
    def test_no_child_id_date_of_birth_or_name_in_any_part_of_any_file(self, files, built):
        forbidden = list(built["refs"]) + [f for dob in built["dobs"] for f in date_forms(dob)]
        forbidden += ["Ann Auditor", "Bob Auditor", "Jo Bloggs", "Kayleigh"]
        for fmt in ("docx", "xlsx", "csv.zip"):
            for name, text in parts(files[fmt]).items():
                for value in forbidden:
                    assert value not in text, f"{value} is in {fmt}:{name}"
        text = files["json"].decode()
        for value in forbidden:
            assert value not in text, f"{value} is in the JSON"

    def test_children_appear_as_their_pseudonyms_and_auditors_as_numbers(self, files):
        xml = parts(files["docx"])["word/document.xml"]
        assert pseudonym("NM0000104", SECRET) in xml
        assert "Auditor 1" in xml and "Auditor 2" in xml


class TestWorkbook:
    def test_opens_and_every_sheet_matches_the_json(self, files):
        doc = json.loads(files["json"])
        tables = evidence_tables(doc)
        wb = load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
        sheets = wb.worksheets[1:]
        assert len(sheets) == len(tables)
        for sheet, table in zip(sheets, tables, strict=True):
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            expected = [[safe_cell(v) for v in table["headers"]]] + [
                [None if v == "" else safe_cell(v) for v in row] for row in table["rows"]
            ]
            assert rows == expected, table["key"]
        grades = next(s for s in sheets if s.title == "Grade distribution")
        assert [r for r in grades.iter_rows(values_only=True)][1] == (
            "Outstanding",
            1,
            "12%",
            "2% to 47%",
        )

    def test_csv_of_each_table_with_formulas_neutralised(self, files):
        csvs = parts(files["csv.zip"])
        assert "grade_distribution.csv" in csvs and "quality_timeliness.csv" in csvs
        learning = csvs["learning_themes.csv"]
        assert "'=HYPERLINK" in learning and not re.search(r"(^|,)\"?=HYPERLINK", learning, re.M)


class TestCommandLine:
    def test_export_sef_writes_the_file_and_logs_it(self, app, runner, built, tmp_path):
        out = tmp_path / "sef.docx"
        result = runner.invoke(
            args=[
                "export-sef",
                "--from",
                "2025-01-01",
                "--to",
                "2025-06-30",
                "--audit",
                str(built["audits"]["A"]),
                "--out",
                str(out),
            ]
        )
        assert result.exit_code == 0, result.output
        assert "5 audited cases" in result.output
        document = Document(str(out))
        assert "5. Quality of Practice" in [p.text for p in document.paragraphs]
        with session_scope(app) as session:
            logged = session.exec(select(AccessLog).where(AccessLog.action == "export_sef")).all()
        assert [r.detail.split(":")[0] for r in logged] == ["command line docx"]

    def test_xlsx_by_the_extension(self, runner, built, tmp_path):
        out = tmp_path / "sef.xlsx"
        result = runner.invoke(
            args=["export-sef", "--from", "2025-01-01", "--to", "2025-06-30", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert load_workbook(str(out)).sheetnames[0] == "About"

    def test_a_bad_extension_or_period_is_refused(self, runner, built, tmp_path):
        bad = runner.invoke(
            args=[
                "export-sef",
                "--from",
                "2025-01-01",
                "--to",
                "2025-06-30",
                "--out",
                str(tmp_path / "sef.pdf"),
            ]
        )
        assert bad.exit_code == 2 and "must end .docx, .xlsx" in bad.output
        backwards = runner.invoke(
            args=[
                "export-sef",
                "--from",
                "2025-06-30",
                "--to",
                "2025-01-01",
                "--out",
                str(tmp_path / "sef.docx"),
            ]
        )
        assert backwards.exit_code == 2 and "is before --from" in backwards.output


class TestPictures:
    def test_sankey_draws_forward_moves_sized_by_children(self):
        from audit_app.charts.sankey import sankey_layout, sankey_svg

        links = [
            ("contact", "referral", 10),
            ("referral", "assessment", 6),
            ("referral", "nfa", 4),
            ("assessment", "referral", 2),
        ]  # the last goes back
        layout = sankey_layout(links, width=900, height=420)
        assert {k: v[3] for k, v in layout["nodes"].items()} == {
            "contact": 10,
            "referral": 10,
            "assessment": 6,
            "nfa": 4,
        }
        assert len(layout["bands"]) == 3
        svg = str(sankey_svg(links, labels={}, title="Flows", table_id="t"))
        assert (
            "Referral 10</text>" in svg and "NFA 4</text>" in svg and 'aria-describedby="t"' in svg
        )

    def test_bars_label_every_bar_with_its_number(self):
        from audit_app.charts.bars import bar_chart_svg

        svg = str(bar_chart_svg([("Good", 3, "3 (38%)"), ("<i>", 1, "1")], title="Grades"))
        assert ">3 (38%)</text>" in svg and "&lt;i&gt;" in svg and "<i>" not in svg
        assert svg.count('fill="url(#bars-p') == 2  # each bar its own pattern, not colour alone
