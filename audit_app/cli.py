"""The ``frontdoor`` command: Flask's click group with the app's own commands."""

import os
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext

from .config import INSTANCE_DIR, ConfigError

__all__ = ["cli", "main", "register_commands"]

DEMO_USERS = (
    ("admin", ("admin",), None, None),
    ("qa.lead", ("qa_lead",), None, None),
    ("practice.manager", ("practice_manager",), None, None),
    ("auditor", ("auditor",), None, None),
    ("auditor2", ("auditor",), None, None),
    ("viewer", ("viewer",), None, None),
)


def _create_app():
    from . import create_app

    try:
        return create_app()
    except ConfigError as error:
        # NoAppException: Flask's group prints it as one line (a ClickException would be
        # printed with a traceback while ``--help`` lists the commands).
        raise NoAppException(str(error)) from None


cli = FlaskGroup(
    create_app=_create_app, help="Front Door Audit: case-file audits and self-evaluation."
)


def main() -> None:
    cli.main(prog_name="frontdoor")


def register_commands(app) -> None:
    """Expose the group's own commands on ``app.cli`` too (for ``app.test_cli_runner``).

    They live on the group itself so that ``demo`` can run before any app exists.
    """
    for name, command in cli.commands.items():
        if name not in app.cli.commands and name not in {"run", "shell", "routes"}:
            app.cli.add_command(command, name)


@cli.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the database schema to the latest migration."""
    from .migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the latest schema.")


def _seed(app, children: int, seed: int) -> tuple[int, int]:
    from seed_cases.generator import generate

    from .db import engine
    from .seeding import load_cases, load_teams

    authority = generate(children, seed)
    load_teams(authority.teams, engine=engine(app))
    return load_cases(authority.iter_cases(), engine=engine(app))


@cli.command("seed")
@click.option("--children", default=2000, show_default=True, help="How many children.")
@click.option(
    "--seed", "seed", default=1, show_default=True, help="Random seed (same seed, same authority)."
)
@with_appcontext
def seed_command(children: int, seed: int):
    """Write a synthetic authority into the configured database."""
    from sqlmodel import select

    from .db import session_scope
    from .models import Child

    with session_scope() as session:
        if session.exec(select(Child.id).limit(1)).first() is not None:
            raise click.ClickException(
                "The database already holds children; seed an empty database."
            )
    n_children, n_events = _seed(current_app, children, seed)
    click.echo(f"Seeded {n_children:,} children and {n_events:,} events (seed {seed}).")


@cli.command("create-user")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="admin, qa_lead, practice_manager, auditor or viewer; repeat for several.",
)
@click.option("--display-name", default=None)
@click.option(
    "--worker-name",
    default=None,
    help="The name the user appears under as a worker in the case data.",
)
@click.option("--team", "team_name", default=None, help="The user's team in the case data.")
@click.password_option(prompt="Password", help="Asked for when not given.")
@with_appcontext
def create_user_command(name, roles, display_name, worker_name, team_name, password):
    """Create a user NAME with one or more roles."""
    from .db import session_scope
    from .models import UserCreate
    from .users import UserError, create_user

    try:
        data = UserCreate(
            username=name,
            password=password,
            roles=list(roles),
            display_name=display_name,
            worker_name=worker_name,
            team_name=team_name,
        )
        with session_scope() as session:
            create_user(data, session=session)
    except (UserError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {name} ({', '.join(roles)}).")


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """A consistent online backup of the SQLite database to PATH."""
    from .maintenance import MaintenanceError, backup_sqlite

    try:
        backup_sqlite(current_app.config["DATABASE_URL"], path)
    except MaintenanceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up to {path}.")


@cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool):
    """Replace the SQLite database with the backup at PATH (checked to be one of ours first)."""
    from .maintenance import MaintenanceError, check_backup, restore_sqlite
    from .migrate import head_revision

    url = current_app.config["DATABASE_URL"]
    try:
        check_backup(path, head_revision(url))
        if not yes:
            click.confirm(f"Replace the database {url} with {path}?", abort=True)
        restore_sqlite(url, path, head_revision(url))
    except MaintenanceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored from {path}.")


@cli.command("purge")
@click.option(
    "--older-than",
    "older_than",
    default=None,
    help="Age such as 7y, 18m or 400d (default: FRONTDOOR_RETENTION).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed, remove nothing.")
@with_appcontext
def purge_command(older_than: str | None, dry_run: bool):
    """Remove case data past retention, never a child in an audit that is still open."""
    from datetime import date

    from .access import record_event
    from .db import engine
    from .maintenance import MaintenanceError, parse_age, purge

    try:
        cutoff = parse_age(older_than or current_app.config["RETENTION"], date.today())
    except MaintenanceError as error:
        raise click.ClickException(str(error)) from None
    result = purge(engine(), cutoff, dry_run=dry_run)
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(result.by_kind.items())) or "none"
    verb = "Would remove" if dry_run else "Removed"
    summary = (
        f"{verb} {result.children:,} children with no activity since {cutoff:%d/%m/%Y} "
        f"and {result.events:,} events ({kinds}); "
        f"kept {result.kept_for_open_audits:,} in open audits."
    )
    if not dry_run:
        record_event("purge", summary)
    click.echo(summary)


@cli.command("demo", with_appcontext=False)
@click.option("--children", default=2000, show_default=True)
@click.option("--seed", "seed", default=1, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo database and stop.")
def demo_command(children, seed, host, port, no_serve):
    """A fresh SQLite demo database: a synthetic authority, a user per role, an example audit."""
    path = Path(os.environ.get("FRONTDOOR_DEMO_DB", INSTANCE_DIR / "demo.sqlite3"))
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["FRONTDOOR_DEMO"] = "1"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    from . import create_app
    from .db import session_scope
    from .demo_audit import seed_example_audit, user_id_of
    from .migrate import upgrade
    from .models import UserCreate
    from .users import create_user

    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    click.echo(f"Building a synthetic authority of {children:,} children…")
    n_children, n_events = _seed(app, children, seed)
    logins = []
    with app.app_context(), session_scope(app) as session:
        for username, roles, worker, team in DEMO_USERS:
            password = "demo-" + secrets.token_urlsafe(8)
            create_user(
                UserCreate(
                    username=username,
                    password=password,
                    roles=list(roles),
                    worker_name=worker,
                    team_name=team,
                ),
                session=session,
                check_password=False,
            )
            logins.append((username, ", ".join(roles), password))
    with app.app_context(), session_scope(app) as session:
        example = seed_example_audit(session, manager_id=user_id_of(session))
    click.echo(f"Demo database {path}: {n_children:,} children, {n_events:,} events.")
    if example is not None:
        click.echo(
            f"Example audit: “{example.title}” (a sample of 10: two finalised, one in "
            "moderation, one started)."
        )
    click.echo("Demo logins (synthetic data only):")
    for username, roles, password in logins:
        click.echo(f"  {username:<18} {password:<20} {roles}")
    if no_serve:
        return
    from waitress import serve

    click.echo(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    serve(app, host=host, port=port, threads=8, _quiet=True)


def _add_feature_commands() -> None:
    """Feature packages keep their own commands; the group gathers them here."""
    from .audits.cli import COMMANDS as audit_commands
    from .cases.cli import COMMANDS as case_commands
    from .imports.cli import import_command
    from .reports.cli import COMMANDS as report_commands

    cli.add_command(import_command, "import")
    for name, command in {**case_commands, **audit_commands, **report_commands}.items():
        cli.add_command(command, name)


_add_feature_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
