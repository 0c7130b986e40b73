"""`abri retention preview|run` (the retention rules) and `abri subject-access` (one child's archive), as the
machine's operator: the use cases of server/services/retention.py and subject_access.py, audited as from "cli"."""
from __future__ import annotations

import json
import os
import tempfile

import click
from flask import current_app
from flask.cli import with_appcontext

from server.services import retention, subject_access as subject
from server.services.context import command_line_context
from server.storage import get_db


def _context(locale: str | None):
    return command_line_context(get_db(), current_app.config, locale)


def _show(answer: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2, default=str))
        return
    for rule in answer["rules"]:
        status = f" {rule['status']}" if rule["status"] else ""
        click.echo(f"{rule['id']}: {rule['action']} {rule['record_type']}{status} records {rule['after_days']} days "
                   f"after {rule['from']}: {rule['due']} due" + (f", {rule['done']} done, {rule['failed']} failed, "
                                                                 f"{rule['history_entries']} history entries, "
                                                                 f"{rule['files']} files" if "run_id" in answer
                                                                 else "")
                   + (f" ({', '.join(rule['sample'])}{', …' if rule['due'] > len(rule['sample']) else ''})"
                      if rule["sample"] else ""))
        for name, count in rule["fields"].items():
            click.echo(f"    {name}: {count}")


@click.group("retention")
def retention_group() -> None:
    """The retention rules of the modules: what they reach now, and applying them."""


@retention_group.command("preview")
@click.option("--locale", default=None, help="Language of the rules' notes.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@with_appcontext
def preview(locale: str | None, as_json: bool) -> None:
    """How many records each rule reaches now, with a few of their ids."""
    answer = retention.preview_retention(_context(locale))
    _show(answer, as_json)
    if not as_json and answer["pending"]:
        click.echo(f"{answer['pending']} records left under way by a run: the next run finishes them first.")


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@click.option("--limit", type=click.IntRange(1, retention.MAX_LIMIT), default=None,
              help="Change at most this many records (default: every record the rules reach).")
@click.option("--locale", default=None, help="Language of the rules' notes.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@with_appcontext
def run(dry_run: bool, limit: int | None, locale: str | None, as_json: bool) -> None:
    """Apply the retention rules (pseudonymise or delete the records they reach); resumable and safe to repeat."""
    answer = retention.run_retention(_context(locale), dry_run=dry_run, limit=limit)
    _show(answer, as_json)
    if not as_json:
        verb = "would change" if dry_run else "changed"
        click.echo(f"Run {answer['run_id']}: {sum(rule['done'] for rule in answer['rules'])} records {verb}, "
                   f"{answer['resumed']} finished from an earlier run, {answer['remaining']} remaining.")
    if any(rule["failed"] for rule in answer["rules"]):
        raise click.ClickException("Some records failed (see the log); run again to retry them.")


@click.command("subject-access")
@click.argument("case_ref")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Where to write the zip file.")
@click.option("--locale", default=None, help="Language of the archive's README.txt and field names.")
@with_appcontext
def subject_access(case_ref: str, out_path: str, locale: str | None) -> None:
    """Everything Abri holds about the child of a case (id, short id or display id), as one zip file."""
    folder = os.path.dirname(os.path.abspath(out_path))
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".abri-subject-", delete=False) as partial:
        try:
            made = subject.subject_access(_context(locale), case_ref, partial)
        except BaseException:
            partial.close()
            os.unlink(partial.name)  # nothing half-written is left
            raise
    os.replace(partial.name, out_path)
    click.echo(f"Wrote {made['records']} records, {made['history_entries']} history entries, {made['files']} files "
               f"and {made['audit_entries']} audit entries about case {made['display_id']} to {out_path}.")
