"""`abri metadata import-primero PATH`: a Primero v2 configuration file becomes the draft, with its report.

Run as the machine operator (user "system", from "cli") through the same use case as the API route
POST /api/v1/metadata/import/primero, so the report, the checks and the audit entry are the same.
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from server.interop.primero_read import MAX_FILE_BYTES
from server.interop.primero_report import summary_lines
from server.messages import _l, render
from server.services.context import command_line_context
from server.services.primero_import import import_primero as import_configuration
from server.storage import get_db


@click.command("import-primero")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print the report only; the draft is left as it is.")
@click.option("--replace-draft", is_flag=True, help="Replace the draft even if it has unpublished changes.")
@with_appcontext
def import_primero(path: str, dry_run: bool, replace_draft: bool) -> None:
    """Make a Primero v2 configuration (JSON: forms, lookups, roles, modules, locations) the draft."""
    with open(path, "rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)  # one byte more: a larger file is refused
    ctx = command_line_context(get_db(), current_app.config)
    report = import_configuration(ctx, data, dry_run=dry_run, replace_draft=replace_draft)
    for line in summary_lines(report):
        click.echo(line)
    draft = report["draft"]
    click.echo(render(_l("The draft's checks: %(errors)s errors, %(warnings)s warnings."), draft))
    for problem in draft["problems"]:
        if problem["severity"] == "error":
            click.echo(f"  {problem['field']}: {problem['code']}: {problem['message']}")
    if dry_run:
        click.echo(render(_l("Dry run: the draft was not changed.")))
    else:
        click.echo(render(_l("The draft now holds the imported configuration: review it, then publish it "
                             "(abri metadata publish).")))
