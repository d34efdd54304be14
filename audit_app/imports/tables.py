"""Tables of cells from a workbook, a CSV file, a folder or a .zip of CSV files, streamed.

Workbooks are read by :mod:`.workbooks` (calamine, or openpyxl in read-only mode): a
formula cell gives the value the spreadsheet last saved, and the app never evaluates one.
CSV files may carry a byte-order mark and ``;`` separators.
"""

import csv
import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .report import Refused
from .workbooks import workbook_tables

__all__ = ["Table", "open_tables", "csv_rows", "sniff", "ZIP_LIMIT"]

#: The most a .zip may unpack to, and the most members it may hold.
ZIP_LIMIT = 4 * 1024**3
ZIP_MEMBERS = 200
CSV_FIELD_LIMIT = 1024 * 1024  # a longer cell is refused by the csv module: see csv_rows

OLE2 = b"\xd0\xcf\x11\xe0"
ZIP = b"PK\x03\x04"


@dataclass
class Table:
    name: str
    rows: Iterable[tuple[int, tuple]]  # (1-based row number, cells)


def sniff(path: Path) -> str:
    """What ``path`` holds: folder, xlsx, zip, ole2, xml, text or binary."""
    if path.is_dir():
        return "folder"
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if head.startswith(OLE2):
        return "ole2"
    if head.startswith(ZIP):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "badzip"
        return "xlsx" if "xl/workbook.xml" in names else "zip"
    if not head.strip():
        return "empty"
    if b"\x00" in head[:8192] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    text = _decode_sample(head)
    if text is None:
        return "binary"
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        return "xml"
    control = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\t\r\n")
    if control > 8:
        return "binary"
    return "text"


def _decode_sample(head: bytes) -> str | None:
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as error:
            if encoding == "utf-8-sig" and error.start > len(head) - 4:
                return head[: error.start].decode(encoding)  # a character cut by the sample's end
    text = head.decode("cp1252", errors="replace")
    return text if text.count("\ufffd") < 16 else None


def _encoding(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError as error:
        return "utf-8-sig" if error.start > len(head) - 4 else "cp1252"


def csv_rows(binary: IO[bytes], name: str) -> Iterator[tuple[int, tuple]]:
    """The rows of a CSV stream: any of UTF-8 (with or without BOM), UTF-16 or Windows-1252,
    separated by commas, semicolons or tabs."""
    head = binary.peek(65536)[:65536] if hasattr(binary, "peek") else b""
    text = io.TextIOWrapper(binary, encoding=_encoding(head), errors="replace", newline="")
    first = list(itertools.islice(text, 20))
    sample = "".join(line[:4096] for line in first)
    delimiter = max((",", ";", "\t"), key=sample.count)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(_chain(first, text), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, tuple(cells)
    except csv.Error as error:
        if "field larger" in str(error):
            raise Refused(
                f"{name}: a cell near line {reader.line_num:,} is longer than "
                f"{CSV_FIELD_LIMIT:,} characters; this is not a case-data file."
            ) from None
        raise Refused(
            f"{name} is not a readable CSV file (line {reader.line_num:,}: {error})."
        ) from None


def _chain(first: list[str], rest: IO[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _csv_table(name: str, opener) -> Table:
    def rows() -> Iterator[tuple[int, tuple]]:
        with opener() as raw:
            yield from csv_rows(io.BufferedReader(raw) if not hasattr(raw, "peek") else raw, name)

    return Table(name, rows())


def _zip_members(path: Path) -> list[zipfile.ZipInfo]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise Refused(f"The .zip file could not be opened ({error}).") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir() and "__MACOSX" not in i.filename]
    if len(infos) > ZIP_MEMBERS:
        raise Refused(f"The .zip file holds {len(infos):,} files; at most {ZIP_MEMBERS} are read.")
    if sum(i.file_size for i in infos) > ZIP_LIMIT:
        raise Refused("The .zip file would unpack to more than 4 GB; it was not opened.")
    if any(i.flag_bits & 0x1 for i in infos):
        raise Refused("The .zip file is password-protected. Export it again without a password.")
    return infos


def csv_sources(path: Path) -> list[tuple[str, object]]:
    """(file name, opener) for each CSV file of a folder, a .zip or a single file."""
    kind = sniff(path)
    if kind == "folder":
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in {".csv", ".txt"})
        return [(p.name, lambda p=p: open(p, "rb")) for p in files]
    if kind == "zip":
        infos = _zip_members(path)
        out = []
        for info in infos:
            if not info.filename.lower().endswith((".csv", ".txt")):
                continue
            name = info.filename.rsplit("/", 1)[-1]
            out.append((name, lambda info=info: _ZipMember(path, info)))
        return sorted(out, key=lambda item: item[0])
    return [(path.name, lambda: open(path, "rb"))]


class _ZipMember:
    """A member of a zip opened as a binary stream, closing the archive with it."""

    def __init__(self, path: Path, info: zipfile.ZipInfo):
        self.zf = zipfile.ZipFile(path)
        self.stream = self.zf.open(info)

    def __enter__(self):
        return io.BufferedReader(self.stream)

    def __exit__(self, *exc):
        self.stream.close()
        self.zf.close()


def open_tables(path: Path, *, display_name: str | None = None) -> Iterator[Table]:
    """Every table of ``path``: the sheets of a workbook or the CSV files of a folder/zip."""
    kind = sniff(path)
    if kind == "xlsx":
        for title, rows in workbook_tables(path):
            yield Table(title, rows)
        return
    refuse_unreadable(kind, display_name or path.name)
    for name, opener in csv_sources(path):
        if name == path.name and display_name:
            name = display_name
        yield _csv_table(name, opener)


def refuse_unreadable(kind: str, name: str) -> None:
    if kind == "ole2":
        raise Refused(
            f"{name} is a password-protected (encrypted) workbook or an old .xls file. "
            "Remove the password, or save it as .xlsx, and upload it again."
        )
    if kind == "badzip":
        raise Refused(f"{name} looks like a workbook or .zip file but is damaged.")
    if kind == "empty":
        raise Refused(f"{name} is empty.")
    if kind == "binary":
        raise Refused(f"{name} is not a spreadsheet, a CSV file or a CIN census XML file.")
