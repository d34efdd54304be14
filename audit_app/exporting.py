"""Safe exports: no cell of a CSV or spreadsheet the app writes can run as a formula.

Text from an import may start with ``=``, ``+``, ``-`` or ``@`` (it is stored as
text); every export passes values through :func:`safe_cell` first.
"""

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import Response

__all__ = ["FORMULA_PREFIXES", "safe_cell", "csv_text", "csv_response"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """``value`` made inert for a spreadsheet: text that could start a formula gets a ``'``.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell(-3), safe_cell("plain")
    (-3, 'plain')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def csv_response(rows: Iterable[Iterable[Any]], filename: str) -> Response:
    """A CSV download of ``rows``, every cell neutralised."""
    return Response(
        csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
