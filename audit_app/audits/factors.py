"""The ``SummaryCode`` table: each summary's coded lists, one row per child and code.

A journey summary keeps its assessment factors, CP categories, anomalies and outcomes as
comma-separated text (``"3B,4B"``).  Matching a whole code in that text is a ``LIKE``
over every summary; this table holds the same codes one per row, indexed by (kind, code),
so a rule such as "factors 3A, 3B or 3C" reads only the children who have them.

:func:`write_codes` is called where the summaries are written, in the same transaction,
with the rows just written, so the table always says what the summaries' text says.
:func:`code_children` is the subquery the cohort rules and the case list filter with.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, select

from ..bulk import insert_rows
from ..models import SummaryCode

__all__ = ["CODE_LISTS", "codes_of", "code_rows", "code_children", "write_codes"]

#: kind -> the summary column (comma-separated codes) its rows come from.
CODE_LISTS: dict[str, str] = {
    "factor": "factors",
    "cp_category": "cp_categories",
    "anomaly": "anomalies",
    "outcome": "outcomes",
}
CODE_T = SummaryCode.__table__
#: Longer items cannot be a code any rule or filter accepts (all are a few characters).
LONGEST = 64
#: Children per ``IN (...)`` list when deleting their old codes.
ID_CHUNK = 500


def codes_of(text: str | None) -> list[str]:
    """The whole codes of a comma-separated list, as ``LIKE '%,CODE,%'`` finds them."""
    return [code for code in dict.fromkeys((text or "").split(",")) if 0 < len(code) <= LONGEST]


def code_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``summarycode`` rows of summary rows (mappings with child_id and the list columns)."""
    out = []
    for row in rows:
        for kind, column in CODE_LISTS.items():
            for code in codes_of(row.get(column)):
                out.append({"child_id": row["child_id"], "kind": kind, "code": code})
    return out


def write_codes(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Replace the codes of the children of ``rows`` (summary rows as written); returns the count.

    Call it in the transaction that writes the summaries.
    """
    rows = list(rows)
    ids = [row["child_id"] for row in rows]
    for start in range(0, len(ids), ID_CHUNK):
        conn.execute(delete(CODE_T).where(CODE_T.c.child_id.in_(ids[start : start + ID_CHUNK])))
    values = code_rows(rows)
    insert_rows(conn, CODE_T, values)
    return len(values)


def code_children(kind: str, codes: Iterable[str] | None = None):
    """SQL: ids of the children with any of ``codes`` in their ``kind`` list (None: any code).

    Use it as ``JourneySummary.child_id.in_(code_children(...))``: a row left behind by a
    summary deleted since is then never counted.
    """
    if kind not in CODE_LISTS:
        raise ValueError(f"no coded list called {kind!r} (one of {', '.join(CODE_LISTS)})")
    query = select(CODE_T.c.child_id).where(CODE_T.c.kind == kind)
    if codes is not None:
        codes = list(codes)
        one = len(codes) == 1
        query = query.where(CODE_T.c.code == codes[0] if one else CODE_T.c.code.in_(codes))
    return query
