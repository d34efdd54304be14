"""Builders for small case-data files (synthetic values only) and database counters."""

import csv
from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy import func, select

from audit_app.imports import run_import
from audit_app.imports.annex_a import columns_of
from audit_app.models import Child, Event, ImportBatch

LIST_TITLES = {
    1: "List 1: Contacts",
    3: "List 3: Referral",
    5: "List 5: Section 47",
    6: "List 6: Children in Need",
    7: "List 7: Child protection",
    8: "List 8: Children in care",
}


def engine_of(app):
    return app.extensions["frontdoor_engine"]


def load(app, path, **kwargs):
    return run_import(path, engine=engine_of(app), **kwargs)


def counts(app) -> dict[str, int]:
    with engine_of(app).connect() as conn:
        return {
            t.__name__: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Child, Event)
        }


def table_counts(app) -> dict[str, int]:
    """The row count of every table of the schema."""
    from sqlmodel import SQLModel

    with engine_of(app).connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def rows_of(app, model):
    with engine_of(app).connect() as conn:
        table = model.__table__  # in key order: PostgreSQL returns unordered rows in any order
        return conn.execute(select(table).order_by(*table.primary_key)).mappings().all()


def batches(app):
    return rows_of(app, ImportBatch)


def annex_row(number: int, **values) -> list:
    """A row of list ``number`` in template column order; keys are the header labels."""
    return [values.get(label) for label in columns_of(number)]


def referral(child_id="C001", when="01/04/2025", **extra) -> list:
    values = {
        "Child Unique ID": child_id,
        "Gender": "b) Female",
        "Ethnicity": "a) WBRI",
        "Date of Birth": date(2015, 6, 1),
        "Age of Child (Years)": 9,
        "Date of referral": when,
        "Referral Source": "q) 6: Police",
        "Referral NFA?": "b) No",
        "Allocated Team": "North",
        "Allocated Worker": "Worker A",
    }
    values.update(extra)
    return annex_row(3, **values)


def write_workbook(path: Path, sheets: dict[str, list[list]], *, title_row: bool = True) -> Path:
    """A workbook of ``sheets``: name -> rows, the first of which is the header."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        if title_row:
            ws.append([name])
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def referral_workbook(path: Path, rows: list[list], *, sheet="List_3", title_row=True) -> Path:
    return write_workbook(path, {sheet: [columns_of(3), *rows]}, title_row=title_row)


def write_csv(path: Path, rows: list[list], *, delimiter=",", bom=False) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def problems(result, severity=None) -> list[dict]:
    return [p for p in result.report["problems"] if severity in (None, p["severity"])]


def messages(result, severity=None) -> list[str]:
    return [p["message"] for p in problems(result, severity)]
