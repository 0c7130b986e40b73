"""`abri translations`: the server's message catalogs (in a source checkout) and the forms' translations."""
from __future__ import annotations

from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from flask import current_app
from flask.cli import with_appcontext

from server.config import PROJECT_ROOT
from server.services import translations as use_cases
from server.services.context import Context, command_line_context
from server.storage import get_db


@click.group("translations")
def translations() -> None:
    """The server's messages (extract, update, compile: in a source checkout) and the forms' translations."""


def _context() -> Context:
    return command_line_context(get_db(), current_app.config)


def _pybabel(*args: str) -> None:
    """Run pybabel on the source checkout; an installed package has no sources to extract or catalogs to edit."""
    translations_dir = PROJECT_ROOT / "translations"
    if not (PROJECT_ROOT / "babel.cfg").is_file() or not translations_dir.is_dir():
        raise click.ClickException(
            "abri translations extract, update and compile are developer commands: run them in a source checkout "
            f"of Abri (no babel.cfg in {PROJECT_ROOT}). An installed package already holds its compiled catalogs.")
    CommandLineInterface().run(["pybabel", *[a.replace("{root}", str(PROJECT_ROOT))
                                             .replace("{translations}", str(translations_dir)) for a in args]])


@translations.command("extract")
def translations_extract() -> None:
    """Collect the messages of the code into translations/messages.pot."""
    _pybabel("extract", "-F", "{root}/babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "--omit-header",
             "--sort-output", "-o", "{translations}/messages.pot", "{root}")


@translations.command("update")
def translations_update() -> None:
    """Merge messages.pot into every language's messages.po (new messages arrive untranslated)."""
    _pybabel("update", "-i", "{translations}/messages.pot", "-d", "{translations}", "-w", "100")


@translations.command("compile")
def translations_compile() -> None:
    """Compile the .po catalogs into the .mo files the server reads (commit them too)."""
    _pybabel("compile", "-d", "{translations}", "--statistics")


@translations.command("coverage")
@click.option("--locale", default=None, help="One language (default: every configured language).")
@with_appcontext
def translations_coverage(locale: str | None) -> None:
    """How much of the draft configuration is translated, per language and per form."""
    report = use_cases.coverage(_context(), locale)
    for language, figures in report.items():
        click.echo(f"{language}: {figures['percent']}% ({figures['translated']}/{figures['total']} labels)")
        for document in figures["documents"]:
            if document["missing"]:
                click.echo(f"  {document['kind']} {document['unique_id']}: {document['percent']}% "
                           f"({len(document['missing'])} missing)")


@translations.command("download")
@click.option("--locale", required=True, help="The language to translate into.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def translations_download(locale: str, out_path: str) -> None:
    """Write the translators' spreadsheet of the draft for one language."""
    Path(out_path).write_bytes(use_cases.workbook(_context(), locale))
    click.echo(f"Wrote {out_path}.")


@translations.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--locale", required=True, help="The language of the filled column.")
@with_appcontext
def translations_upload(path: str, locale: str) -> None:
    """Apply a filled spreadsheet to the draft (every row or none), then list what changed."""
    changes = use_cases.upload(_context(), locale, Path(path).read_bytes())
    for change in changes:
        where = "/".join(part for part in (change["field"], change["option"], change["property"]) if part)
        click.echo(f"{change['row']}: {change['kind']} {change['document']} {where}: "
                   f"{change['from']!r} -> {change['to']!r}")
    click.echo(f"{len(changes)} texts changed in the draft; publish to make them visible.")
