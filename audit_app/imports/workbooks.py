"""The sheets of an .xlsx workbook as tables of cells: calamine where it is safe, else openpyxl.

Both give each cell's saved value (a formula's last result; the app never evaluates one),
and the rows of a sheet numbered from 1 with the cells from column A.  openpyxl, in
read-only mode, is the reference: everything else in the import was written against its
values.  calamine (Rust) reads a workbook about 25 times faster, and its values are
turned into openpyxl's here (blank is ``None``, a whole number an ``int``, a date a
midnight ``datetime``), so the rows are the same whichever reads them
(``tests/imports/test_workbooks.py`` compares the two on every workbook the tests use).

calamine holds each sheet as a full rectangle of cells from A1 to its last cell, so a
file with one cell at XFD1048576 would ask for hundreds of gigabytes and abort the
process.  Before calamine sees a file, :func:`_fits` reads every part of it and finds the
furthest cell reference; a workbook whose sheets would need more than
:data:`FAST_CELLS` cells, whose cells are not all plainly addressed (``<c r="B7">``), or
that holds error values (calamine reads ``#N/A`` as blank; openpyxl as the text the
import reports) is read by openpyxl instead, which streams it.
"""

import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from .report import Refused

__all__ = ["workbook_tables", "FAST_CELLS"]

#: The most cells (the A1 rectangle of every sheet, added up) calamine is given: about
#: 200 MB in calamine and 40 MB of Python lists a sheet.  Annex A for 150,000 children
#: is 1.5 million.
FAST_CELLS = 8_000_000
#: The most a workbook's parts may unpack to for :func:`_fits` to read them whole.
FAST_XML_BYTES = 512 * 1024**2
#: Floats of this size or more stay floats (openpyxl reads ``1E+20`` as a float).
_WHOLE = 2.0**53

_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s/>]")
#: A row number written with a leading zero would defeat the longest-is-largest rule below.
_LEADING_ZERO = re.compile(rb'c r="[A-Z]{1,3}0')
_COLUMNS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_ROWS = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
#: An unprefixed cell element that does not open with a plain address, ``<c r="B12"``:
#: ``<c>``, ``<c/>``, ``<c s="1" r="B12">``, ``<c r="b12">``, a line break after ``<c``...
_ODD_CELL = re.compile(rb'<c(?:[>/\t\n\r]| (?!r="[A-Z]{1,3}[0-9]{1,7}"))')


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + byte - 64
    return number


def _fits(path: Path) -> bool:
    """True when calamine may read ``path``: every cell addressed, no error values, and
    the sheets' rectangles from A1 no more than :data:`FAST_CELLS` cells in all.

    Reads every part of the file, not only the ones the workbook names as sheets, so a
    sheet at an unusual path is not missed.  Any doubt gives False (openpyxl reads it).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > FAST_XML_BYTES:
                return False
            cells = 0
            for info in infos:
                extent = _extent(zf.read(info))
                if extent is None:
                    return False
                cells += extent
                if cells > FAST_CELLS:
                    return False
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return False
    return True


def _extent(data: bytes) -> int | None:
    """The cells from A1 to the furthest cell ``data`` addresses (0: none); None when its
    cells cannot all be placed from their addresses (or are prefixed), or it holds an
    error value."""
    if b"<![CDATA[" in data or b't="e"' in data or _LEADING_ZERO.search(data):
        return None  # (the text may only look like one of these: openpyxl reads it then)
    if b":c" in data and _PREFIXED_CELL.search(data):
        return None  # <x:c r="A1">, written by a few exporters: openpyxl reads those
    if _ODD_CELL.search(data):
        return None
    columns, rows = set(_COLUMNS.findall(data)), _ROWS.findall(data)
    if not rows:
        return 0
    longest = max(map(len, rows))
    last_row = int(max(r for r in rows if len(r) == longest))
    return last_row * max(_column_number(c) for c in columns)


def _plain(cells: list) -> tuple:
    """A calamine row as openpyxl gives it (most cells are text, or empty text)."""
    return tuple(
        [(value or None) if type(value) is str else _plain_value(value) for value in cells]
    )


def _plain_value(value):
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() and -_WHOLE < value < _WHOLE else value
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value


def _calamine_sheets(path: Path) -> list | None:
    """(title, calamine sheet) of every worksheet, all parsed; None if calamine cannot."""
    try:
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_path(str(path))
        names = [
            m.name for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        return [(name, book.get_sheet_by_name(name)) for name in names]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - a Rust panic is a BaseException; openpyxl decides
        return None


def _calamine_rows(sheet) -> Iterator[tuple[int, tuple]]:
    for number, cells in enumerate(sheet.to_python(skip_empty_area=False), start=1):
        yield number, _plain(cells)


def _openpyxl_rows(ws) -> Iterator[tuple[int, tuple]]:
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # some exporters write a wrong <dimension>: read every row
    try:
        yield from enumerate(ws.iter_rows(values_only=True), start=1)
    except Exception as error:  # the sheet's XML is damaged part-way
        raise Refused(
            f"The sheet '{ws.title}' could not be read: the workbook is damaged "
            f"({type(error).__name__})."
        ) from None


def workbook_tables(path: Path, *, fast: bool = True) -> Iterator[tuple[str, Iterator]]:
    """(sheet title, rows) of every worksheet of ``path``, in the workbook's order.

    ``fast=False`` reads with openpyxl whatever the file (the tests compare the two).
    """
    sheets = _calamine_sheets(path) if fast and _fits(path) else None
    if sheets is not None:
        for title, sheet in sheets:
            yield title, _calamine_rows(sheet)
        return
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise Refused(
            f"The workbook could not be opened: it is damaged or not a real .xlsx "
            f"file ({type(error).__name__})."
        ) from None
    try:
        for ws in workbook.worksheets:
            if hasattr(ws, "iter_rows"):
                yield ws.title, _openpyxl_rows(ws)
    except Refused:
        raise
    except Exception as error:
        raise Refused(
            f"The workbook could not be read: it is damaged ({type(error).__name__})."
        ) from None
    finally:
        workbook.close()
