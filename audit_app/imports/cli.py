"""``frontdoor import PATH``: load case data from the command line and print the report."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import engine
from . import DEFAULT_MAX_REJECT, FORMATS, ImportResult, run_import

__all__ = ["import_command", "print_report"]


def print_report(result: ImportResult, echo=click.echo) -> None:
    report = result.report or {}
    echo(f"Import {result.batch_id}: {result.status}. {result.message}")
    lists = report.get("lists") or {}
    if lists:
        echo(f"{'list':<24} {'read':>9} {'accepted':>9} {'rejected':>9} {'warned':>9}")
        for key, c in lists.items():
            echo(
                f"{(key + ' ' + c['label'])[:24]:<24} {c['read']:>9,} {c['accepted']:>9,} "
                f"{c['rejected']:>9,} {c['warned']:>9,}"
            )
    for note in report.get("notes") or []:
        echo(f"Note: {note}")
    for p in report.get("problems") or []:
        where = f"{p['sheet']} row {p['row']}" if p.get("row") else p.get("sheet") or ""
        column = f", {p['column']}" if p.get("column") else ""
        echo(f"{p['severity'].upper()}: {where}{column}: {p['message']}")
    if report.get("problems_truncated"):
        total = report["problems_total"]
        echo(
            f"… {total['error']:,} errors and {total['warning']:,} warnings in all; "
            "the first ones are listed."
        )


@click.command("import")
@click.argument("path", type=click.Path(exists=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default=None,
    help="The file's format (detected from the file when not given).",
)
@click.option("--dry-run", is_flag=True, help="Validate and report; change nothing.")
@click.option(
    "--max-reject",
    type=click.FloatRange(0, 100),
    default=DEFAULT_MAX_REJECT,
    show_default=True,
    help="Refuse the file when more than this % of rows are rejected.",
)
@with_appcontext
def import_command(path: Path, file_format: str | None, dry_run: bool, max_reject: float):
    """Load case data from PATH: an Annex A workbook, a CIN census XML file, or CSV files."""
    result = run_import(
        path,
        engine=engine(),
        file_format=file_format,
        dry_run=dry_run,
        max_reject=max_reject,
        progress=lambda text: click.echo(text, err=True),
    )
    print_report(result)
    sys.exit(0 if result.ok else 1)
