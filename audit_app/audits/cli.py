"""The audits feature's ``frontdoor`` commands (gathered by ``audit_app.cli``)."""

import click

#: command name -> click command, added to the ``frontdoor`` group.
COMMANDS: dict[str, click.Command] = {}
