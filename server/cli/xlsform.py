"""`abri metadata export-xlsform` and `import-xlsform`: forms out as an XLSForm workbook, and back into the draft.

Both act as the machine operator through the same use cases as the API (server/services/xlsform.py).
"""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from server.messages import _l, render
from server.metadata.documents import RECORD_TYPES
from server.services import xlsform
from server.services.context import Context, command_line_context
from server.storage import get_db

MAX_FILE_BYTES = 16 * 1024 * 1024  # an XLSForm workbook read from disk (the reader's limits apply after)


def _context(locale: str | None = None) -> Context:
    return command_line_context(get_db(), current_app.config, locale)


@click.command("export-xlsform")
@click.option("--record-type", type=click.Choice(RECORD_TYPES), default="case", show_default=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="The .xlsx file.")
@click.option("--locale", default=None, help="Language of the report (default: the deployment's).")
@with_appcontext
def export_xlsform(record_type: str, out: str, locale: str | None) -> None:
    """Write the published forms of a record type as an XLSForm workbook (every configured language)."""
    locale = locale or current_app.config["DEFAULT_LOCALE"]
    data, report = xlsform.export_workbook(_context(locale), record_type)
    with open(out, "wb") as file:
        file.write(data)
    for line in report.lines(locale):
        click.echo(line)
    click.echo(render(_l("Wrote %(path)s."), {"path": out}, locale))


@click.command("import-xlsform")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--record-type", type=click.Choice(RECORD_TYPES), required=True)
@click.option("--dry-run", is_flag=True, help="Only report what would be imported.")
@click.option("--locale", default=None, help="Language of the report (default: the deployment's).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def import_xlsform(path: str, record_type: str, dry_run: bool, locale: str | None, as_json: bool) -> None:
    """Add the forms of an XLSForm workbook (Kobo, ODK) to the draft as new forms and lookups, with a report."""
    locale = locale or current_app.config["DEFAULT_LOCALE"]
    with open(path, "rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)  # a larger file is refused by the reader's limits
    result = xlsform.import_workbook(_context(locale), data, record_type, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for status, part in result["report"].items():
        click.echo(f"{status}: {part['count']}")
        if status != "mapped":
            for item in part["items"]:
                click.echo(f"  {item['name']}: {item['message']}")
    documents = ", ".join(f"{d['kind']} {d['unique_id']}" for d in result["documents"])
    template = _l("Would add to the draft: %(documents)s.") if dry_run else _l(
        "Added to the draft: %(documents)s. Review them, then publish.")
    click.echo(render(template, {"documents": documents}, locale))

