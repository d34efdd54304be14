"""A bad file is refused whole with a clear message, never a traceback; refusals are recorded."""

import os
import zipfile

import openpyxl
import pytest

from audit_app.imports.annex_a import columns_of
from audit_app.models import Event

from .helpers import batches, counts, load, referral, referral_workbook, rows_of, write_csv

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&lol3;</LAchildID></ChildIdentifiers>
</Child></Children></Message>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&ext;</LAchildID></ChildIdentifiers>
</Child></Children></Message>"""


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def _empty_workbook(path):
    wb = openpyxl.Workbook()
    wb.save(path)
    return path


def _lists_but_no_rows(path):
    wb = openpyxl.Workbook()
    wb.active.title = "List_3"
    wb.active.append(columns_of(3))
    wb.save(path)
    return path


def _no_lists(path):
    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    wb.active.append(["Cost centre", "Amount"])
    wb.active.append(["A1", 100])
    wb.save(path)
    return path


def _corrupt_xlsx(path, tmp_path):
    good = referral_workbook(tmp_path / "good.xlsx", [referral()])
    data = good.read_bytes()
    return _bytes(path, data[: len(data) // 2])


def _broken_sheet_xml(path, tmp_path):
    good = referral_workbook(tmp_path / "good.xlsx", [referral()])
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[:200]
            out.writestr(item, data)
    return path


CASES = {
    "a text file": (
        lambda p, t: _bytes(p, b"Dear colleague,\nplease find attached.\n"),
        "notes.csv",
        "None of Annex A Lists 1 to 8 was found",
    ),
    "a PDF": (
        lambda p, t: _bytes(p, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + os.urandom(2000)),
        "file.xlsx",
        "is not a spreadsheet, a CSV file or a CIN census XML file",
    ),
    "an encrypted workbook": (
        lambda p, t: _bytes(p, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),
        "locked.xlsx",
        "password-protected (encrypted) workbook",
    ),
    "a truncated workbook": (lambda p, t: _corrupt_xlsx(p, t), "cut.xlsx", "damaged"),
    "a damaged sheet": (lambda p, t: _broken_sheet_xml(p, t), "broken.xlsx", "damaged"),
    "an empty workbook": (
        lambda p, t: _empty_workbook(p),
        "empty.xlsx",
        "None of Annex A Lists 1 to 8 was found",
    ),
    "a workbook of headers only": (
        lambda p, t: _lists_but_no_rows(p),
        "headers.xlsx",
        "The file holds no rows of case data.",
    ),
    "a workbook with none of the lists": (
        lambda p, t: _no_lists(p),
        "budget.xlsx",
        "None of Annex A Lists 1 to 8 was found",
    ),
    "an empty file": (lambda p, t: _bytes(p, b""), "empty.csv", "is empty"),
    "random bytes": (
        lambda p, t: _bytes(p, os.urandom(10 * 1024 * 1024)),
        "noise.csv",
        "is not a spreadsheet, a CSV file or a CIN census XML file",
    ),
    "an XML bomb": (
        lambda p, t: _bytes(p, BOMB.encode()),
        "census.xml",
        "declares a DTD or entities",
    ),
    "an external entity": (
        lambda p, t: _bytes(p, EXTERNAL.encode()),
        "census.xml",
        "declares a DTD or entities",
    ),
    "XML that is not a census": (
        lambda p, t: _bytes(p, b"<html><body>hi</body></html>"),
        "page.xml",
        "not a CIN census return",
    ),
    "broken XML": (
        lambda p, t: _bytes(p, b"<Message><Children><Child>"),
        "census.xml",
        "not well-formed",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_file_is_refused_with_a_clear_message(app, tmp_path, case):
    build, name, message = CASES[case]
    path = build(tmp_path / name, tmp_path)
    result = load(app, path)
    assert result.status == "refused", (case, result.status, result.message)
    assert message in result.message
    assert "Traceback" not in result.message
    assert counts(app) == {"Child": 0, "Event": 0}
    (batch,) = batches(app)
    assert batch["status"] == "refused" and batch["message"] == result.message


def test_a_huge_cell_in_a_workbook_is_cut_to_the_column_with_a_warning(app, tmp_path):
    # openpyxl itself stores at most Excel's 32,767 characters of the million.
    path = referral_workbook(
        tmp_path / "big.xlsx", [referral("C1", **{"Allocated Worker": "x" * 1_000_000})]
    )
    result = load(app, path)
    assert result.status == "committed"
    (problem,) = result.report["problems"]
    assert problem["message"] == "Allocated Worker is longer than 200 characters; cut short"
    assert len(problem["value"]) < 200
    assert len(rows_of(app, Event)[0]["worker"]) == 200


def test_a_cell_of_a_million_characters_in_a_csv_rejects_its_row(app, tmp_path):
    row = referral("C1", "01/04/2025", **{"Allocated Worker": "x" * 1_000_000})
    path = write_csv(
        tmp_path / "List 3.csv", [columns_of(3), ["" if v is None else str(v) for v in row]]
    )
    result = load(app, path)
    assert result.status == "refused"
    assert result.report["problems"][0]["message"] == (
        "Allocated Worker holds 1,000,000 characters; a cell may hold at most 32,767"
    )


def test_a_cell_past_the_csv_reader_limit_refuses_the_file(app, tmp_path):
    row = referral("C1", "01/04/2025", **{"Allocated Worker": "x" * 2_000_000})
    path = write_csv(
        tmp_path / "List 3.csv", [columns_of(3), ["" if v is None else str(v) for v in row]]
    )
    result = load(app, path)
    assert result.status == "refused"
    assert "longer than 1,048,576 characters; this is not a case-data file" in result.message


def test_too_many_rejected_rows_refuse_the_file(app, tmp_path):
    rows = [referral(f"C{i}") for i in range(8)] + [referral(None), referral("X", "soon")]
    path = referral_workbook(tmp_path / "a.xlsx", rows)
    result = load(app, path)
    assert result.status == "refused"
    assert result.message.startswith(
        "2 of 10 rows (20.0%) were rejected, more than the 10% allowed"
    )
    assert counts(app) == {"Child": 0, "Event": 0}
    assert load(app, path, max_reject=25).status == "committed"
    assert counts(app) == {"Child": 8, "Event": 8}


def test_a_missing_file_is_refused(app, tmp_path):
    result = load(app, tmp_path / "nowhere.xlsx")
    assert result.status == "refused" and "does not exist" in result.message
