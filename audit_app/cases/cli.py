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

    from ..db import engine, refresh_statistics
    from ..summaries import rebuild_summaries

    started = time.perf_counter()
    written = rebuild_summaries(
        engine=engine(),
        force=force,
        workers=workers,
        progress=lambda text: click.echo(text, err=True),
    )
    if written:
        refresh_statistics(engine())
    click.echo(f"Rebuilt {written:,} journey summaries in {time.perf_counter() - started:.1f} s.")


COMMANDS["rebuild-journeys"] = rebuild_journeys_command


@click.command("journey")
@click.argument("child_id")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Reference date, YYYY-MM-DD (default: today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the journey as JSON.")
@with_appcontext
def journey_command(child_id: str, as_of: str | None, as_json: bool):
    """Show CHILD_ID's reconstructed journey: events, "led to" links and findings."""
    import json
    import sys
    from datetime import date

    from ..db import session_scope
    from ..models import AccessLog
    from .journey import find_child, journey_json, load_journey
    from .search import parse_day

    try:
        day = parse_day(as_of) or date.today()
    except ValueError:
        raise click.BadParameter(
            f"'{as_of}' is not a date like 2025-03-31", param_hint="--as-of"
        ) from None
    with session_scope() as session:
        child = find_child(child_id, session=session)
        if child is None:
            click.echo(f"No child with ID '{child_id}'.", err=True)
            sys.exit(1)
        view = load_journey(child, session=session, as_of=day)
        session.add(
            AccessLog(
                username="command line",
                child_ref=child.child_ref,
                action="view journey",
                detail=f"frontdoor journey, as at {day.isoformat()}",
            )
        )
        session.commit()
    data = journey_json(view)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_journey(data, view)


def _print_journey(data: dict, view) -> None:
    from .journey import alerts_by_node, fmt_day

    f = data["findings"]
    alerts = alerts_by_node(view)
    click.echo(f"Child {data['child_id']}, as at {fmt_day(view.as_of)}")
    click.echo(f"Path: {data['path'] or '(no events)'}")
    click.echo(
        f"Furthest stage: {f['furthest_stage'] or 'none'}; referrals: {f['referral_count']}"
        f"{'; re-referred' if f['rereferred'] else ''}"
        f"{'; history incomplete' if f['history_incomplete'] else ''}"
    )
    click.echo("")
    click.echo("Events:")
    for event in data["events"]:
        end = f" to {event['end']}" if event["end"] else ""
        episode = f" [episode {event['episode']}]" if event["episode"] else ""
        click.echo(f"  {event['start']}{end}  {event['label'].split(',')[0]}{episode}")
        for alert in alerts.get(event["node"], ()):
            click.echo(f"      ! {alert}")
    click.echo("")
    click.echo("Led to:")
    for edge in data["edges"]:
        click.echo(
            f"  {edge['from']} -> {edge['to']}  ({edge['rule']}, "
            f"{edge['working_days']} working days)"
        )
    late = [t for t in f["timeliness_as_of"] if t["status"] in ("breached", "overdue")]
    click.echo("")
    click.echo(f"Timeliness: {len(late)} late or overdue of {len(f['timeliness_as_of'])} checks")
    for t in late:
        click.echo(
            f"  {t['label']}: {t['status']}, {t['working_days']} working days "
            f"(over by {t['over_by']})"
        )
    click.echo(f"Anomalies: {len(f['anomalies'])}")
    for a in f["anomalies"]:
        click.echo(f"  {a['code']}: {a['message']}")
    for episode in f["status"]["open_episodes"]:
        click.echo(
            f"Open: {episode['stage']} since {episode['since']}, {episode['age_days']} days "
            f"({episode['age_working_days']} working days)"
        )


COMMANDS["journey"] = journey_command
