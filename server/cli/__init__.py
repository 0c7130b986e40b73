"""The `abri` command line: one group, one module per area, over the application's use cases.

    serve.py         abri serve: the production server (waitress); the embedded database by default
    exports.py       abri worker (export jobs in their own process), abri export (one export now, to a file)
    users.py         abri users: the first administrator, users, unlocking
    agencies.py      abri agencies
    metadata.py      abri metadata load|publish|restore|dump|status|import-locations: the configuration workflow
    primero.py       abri metadata import-primero: a Primero v2 configuration as the draft, with its report
    translations.py  abri translations: message catalogs and the forms' translations
    xlsform.py       abri metadata export-xlsform|import-xlsform: forms out as an XLSForm workbook, and back in
    data_protection.py  abri retention preview|run, abri subject-access: retention rules, one child's archive

Every command reaches the database through an app built for it (the embedded database of a running
`abri serve`, or one started for the command), and closes its client when it ends. An error Abri
raises on purpose is printed once, here, as the API would answer it, with exit status 1.
"""
from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any, Mapping

import click
from flask.cli import FlaskGroup

from server.app import create_app
from server.cli import agencies, common, exports, metadata, primero, serve, translations, users, xlsform
from server.cli import data_protection
from server.config import load_config
from server.embedded import EmbeddedDatabase, EmbeddedDatabaseError, running_uri
from server.errors import AbriError


def _create_app():
    """Build the app for a CLI command; without ABRI_MONGO_URI, reach the embedded database."""
    settings = load_config()
    overrides = None if settings["MONGO_URI"] else {"MONGO_URI": _embedded_uri(settings)}
    app = create_app(overrides)  # a setting refused at start, or another profile than the stored one: AbriError
    # Close the client when the command ends, while its server still answers: closing it later (at exit,
    # once an embedded database has stopped) waits 10 s for a server to send endSessions to.
    _when_command_ends(app.close)
    return app


def _when_command_ends(callback) -> None:
    """Run `callback` when the current command ends (last registered, first run), or else at exit."""
    command = click.get_current_context(silent=True)
    if command is not None:
        command.call_on_close(callback)
    else:
        atexit.register(callback)


def _embedded_uri(settings: Mapping[str, Any]) -> str:
    """Use the embedded database of a running `abri serve`, or start one for this command."""
    instance = Path(settings["INSTANCE_PATH"])
    uri = running_uri(instance)
    if uri:
        return uri
    try:
        database = EmbeddedDatabase(instance / "db", settings=settings).start()
    except (EmbeddedDatabaseError, OSError) as error:
        raise click.ClickException(str(error) + common.instance_hint(error, instance)) from None
    _when_command_ends(database.stop)  # after the app's client closes (registered later, so run first)
    return database.uri


class AbriGroup(FlaskGroup):
    """The `abri` group: an AbriError from any command is shown by the one error display."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AbriError as error:
            common.fail(error)


@click.group(cls=AbriGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def cli() -> None:
    """Abri: configurable form and metadata server for child-protection case management."""


for command in (serve.serve, exports.worker, exports.export, users.users, agencies.agencies, translations.translations,
                metadata.metadata):
    cli.add_command(command)
metadata.metadata.add_command(xlsform.export_xlsform)
metadata.metadata.add_command(xlsform.import_xlsform)
metadata.metadata.add_command(primero.import_primero)
cli.add_command(data_protection.retention_group)
cli.add_command(data_protection.subject_access)


def main() -> None:
    cli(prog_name="abri")
