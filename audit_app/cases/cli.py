"""The cases feature's ``frontdoor`` commands (gathered by ``audit_app.cli``)."""

import click
from flask.cli import with_appcontext

#: command name -> click command, added to the ``frontdoor`` group.
COMMANDS: dict[str, click.Command] = {}


@click.command("rebuild-journeys")
@click.option("--force", is_flag=True, help="Rebuild every child, changed or not.")
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=None,
    help="Processes to use (default: one, or one per core above 20,000 children).",
)
@with_appcontext
def rebuild_journeys_command(force: bool, workers: int | None):
    """Rebuild the stored journey summaries of the children whose events changed."""
    import time

    from ..db import engine
    from ..summaries import rebuild_summaries

    started = time.perf_counter()
    written = rebuild_summaries(
        engine=engine(),
        force=force,
        workers=workers,
        progress=lambda text: click.echo(text, err=True),
    )
    click.echo(f"Rebuilt {written:,} journey summaries in {time.perf_counter() - started:.1f} s.")


COMMANDS["rebuild-journeys"] = rebuild_journeys_command
