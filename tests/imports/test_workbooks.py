"""The fast workbook reader (calamine) gives openpyxl's rows, and hands openpyxl what it cannot."""

import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from audit_app.imports.workbooks import (
    FAST_CELLS,
    _calamine_sheets,
    _extent,
    _fits,
    workbook_tables,
)
from seed_cases import generate
from seed_cases.annex_a import write_annex_a
from tests.conftest import OFSTED_TEMPLATE

from .helpers import load, messages, referral, referral_workbook


def _trimmed(tables) -> list:
    """Every sheet's rows without trailing blank cells or rows: openpyxl ends a row at its
    last cell, calamine at the sheet's last column."""
    out = []
    for title, rows in tables:
        kept = []
        for number, cells in rows:
            cells = list(cells)
            while cells and cells[-1] is None:
                cells.pop()
            kept.append((number, cells))
        while kept and not kept[-1][1]:
            kept.pop()
        out.append((title, kept))
    return out


def _both(path: Path) -> tuple[list, list]:
    assert _fits(path) and _calamine_sheets(path) is not None, "the fast path was not taken"
    return _trimmed(workbook_tables(path)), _trimmed(workbook_tables(path, fast=False))


def _patched(source: Path, target: Path, sheet: str, pattern: bytes, replacement: bytes) -> Path:
    """``source`` with ``pattern`` replaced in the XML of worksheet ``sheet`` (sheet1.xml...)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == f"xl/worksheets/{sheet}.xml":
                data, n = re.subn(pattern, replacement, data)
                assert n, f"nothing to patch in {sheet}"
            zout.writestr(info, data)
    return target


@pytest.fixture
def mixed(tmp_path) -> Path:
    """Every kind of value a cell holds, away from A1, on a sheet between two others."""
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active["A1"] = "read me"
    ws = wb.create_sheet("List 3")
    ws["C5"] = "Child Unique ID"
    ws["D5"] = "Referral date"
    values = [
        197, "0000197", 14.5, 14.0, -3, 10**12, 1e20, True, False,
        datetime(2024, 5, 6), date(2024, 1, 2), datetime(2024, 1, 2, 10, 30), time(10, 30),
        "  ", "'=not a formula", "=1/0", "b) Female", "Ünïcødé ‘quotes’",
    ]  # fmt: skip
    for offset, value in enumerate(values):
        ws.cell(row=7, column=3 + offset, value=value)
    ws["C7"].number_format = "dd/mm/yyyy"
    ws["L7"].number_format = "dd/mm/yyyy"
    ws["M7"].number_format = "yyyy-mm-dd"
    ws["N7"].number_format = "dd/mm/yyyy hh:mm"
    ws["O7"].number_format = "hh:mm"
    wb.create_sheet("Empty")
    hidden = wb.create_sheet("Hidden")
    hidden["B2"] = 1
    hidden.sheet_state = "hidden"
    path = tmp_path / "mixed.xlsx"
    wb.save(path)
    return path


class TestSameRowsAsOpenpyxl:
    def test_the_ofsted_template(self):
        fast, slow = _both(OFSTED_TEMPLATE)
        assert fast == slow
        assert [title for title, _ in fast][:2] == ["Front_Sheet", "FAQ_and_changes"]

    def test_a_generated_annex_a_workbook(self, tmp_path):
        path = write_annex_a(generate(300, seed=11), tmp_path / "annex-a.xlsx")
        fast, slow = _both(path)
        assert fast == slow
        assert sum(len(rows) for _, rows in fast) > 100

    def test_every_kind_of_value_away_from_a1(self, mixed):
        fast, slow = _both(mixed)
        assert fast == slow
        sheets = dict(fast)
        assert list(sheets) == ["Notes", "List 3", "Empty", "Hidden"]
        number, cells = sheets["List 3"][-1]
        assert number == 7 and cells[:2] == [None, None]
        assert cells[2] == datetime(1900, 7, 15)  # 197 shown as a date: as openpyxl reads it
        assert cells[3:7] == ["0000197", 14.5, 14, -3]
        assert type(cells[6]) is int and cells[7] == 10**12 and type(cells[8]) is float

    def test_a_workbook_imports_the_same_either_way(self, app, tmp_path, monkeypatch):
        rows = [referral(f"C{i}") for i in range(12)] + [referral("C99", "x")]
        path = referral_workbook(tmp_path / "r.xlsx", rows)
        fast = load(app, path, dry_run=True)
        monkeypatch.setattr("audit_app.imports.workbooks._fits", lambda path: False)
        slow = load(app, path, dry_run=True)
        assert messages(fast) == messages(slow)
        assert fast.message == slow.message and "Would add 12 children" in fast.message
        assert "Date of referral 'x' is not a date" in " ".join(messages(fast))


class TestOpenpyxlReadsWhatCalamineShouldNot:
    def test_a_far_cell_that_would_need_too_many_cells(self, app, tmp_path):
        path = referral_workbook(tmp_path / "r.xlsx", [referral("C1")])
        blank = b'<c r="ZZ20000" t="inlineStr"><is><t> </t></is></c>'
        row = b'<row r="20000">' + blank + b"</row></sheetData>"
        far = _patched(path, tmp_path / "far.xlsx", "sheet1", rb"</sheetData>", row)
        assert 702 * 20000 > FAST_CELLS
        assert not _fits(far)
        result = load(app, far)
        assert result.status == "committed"

    def test_a_far_cell_hidden_behind_a_row_number_with_leading_zeros(self, tmp_path):
        path = referral_workbook(tmp_path / "r.xlsx", [referral("C1")])
        cells = b'<c r="A0000005"><v>1</v></c><c r="ZZ999999"><v>1</v></c>'
        far = _patched(path, tmp_path / "far.xlsx", "sheet1", rb"</sheetData>",
                       b'<row r="999999">' + cells + b"</row></sheetData>")  # fmt: skip
        assert not _fits(far)

    def test_cells_without_an_address(self, tmp_path):
        path = referral_workbook(tmp_path / "r.xlsx", [referral("C1")])
        bare = _patched(path, tmp_path / "bare.xlsx", "sheet1", rb'<c r="B3"', b"<c")
        assert not _fits(bare)
        assert _trimmed(workbook_tables(bare)) == _trimmed(workbook_tables(bare, fast=False))

    @pytest.mark.parametrize(
        "cell",
        [b"<c>1</c>", b"<c/>", b'<c s="1" r="B2"><v>1</v></c>', b'<c r="b2"><v>1</v></c>',
         b'<c\nr="B2"><v>1</v></c>', b'<c\tr="B2"/>', b'<c r="B2 "/>', b'<c r="B12345678"/>',
         b'<c r="ABCD2"/>', b'<c r=""/>', b"<c r='B2'/>"],
    )  # fmt: skip
    def test_any_cell_not_opened_by_a_plain_address(self, cell):
        """The byte scan sends a sheet to openpyxl when any one cell is not ``<c r="B12"``."""
        plain = b'<sheetData><row r="2"><c r="A2"><v>1</v></c><c r="C3"/>'
        assert _extent(plain + b"</row></sheetData>") == 9
        assert _extent(plain + cell + b"</row></sheetData>") is None
        # Elements whose names only begin with c are not cells.
        assert _extent(b'<cols><col min="1"/></cols>' + plain + b"</row></sheetData>") == 9

    def test_an_error_value_is_reported_as_openpyxl_reads_it(self, app, tmp_path):
        path = referral_workbook(tmp_path / "r.xlsx", [referral("C1")])
        sheet = openpyxl.load_workbook(path).worksheets[0]
        column = next(c.column_letter for c in sheet[2] if c.value == "Date of referral")
        cell = b'<c r="' + column.encode() + b"3"
        value = cell + b'" t="e"><f>NA()</f><v>#N/A</v></c>'
        error = _patched(path, tmp_path / "error.xlsx", "sheet1", cell + rb'"[^>]*>.*?</c>', value)
        assert not _fits(error)
        result = load(app, error)
        assert "Date of referral '#N/A' is not a date" in " ".join(messages(result))

    def test_a_damaged_sheet_is_refused_with_a_message(self, app, tmp_path):
        path = referral_workbook(tmp_path / "r.xlsx", [referral("C1")])
        broken = _patched(path, tmp_path / "broken.xlsx", "sheet1", rb"</sheetData>", b"")
        result = load(app, broken)
        assert result.status == "refused"
        assert "damaged" in result.message
