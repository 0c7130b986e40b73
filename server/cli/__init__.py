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
    operations.py    abri migrate, abri backup, abri restore: upgrades, backups that restore

Every command reaches the database through an app built for it (the embedded database of a running
`abri serve`, or one started for the command), and closes its client when it ends. An error Abri
raises on purpose is printed once, here, as the API would answer it, with exit status 1.
"""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from server.app import create_app
from server.cli import agencies, common, exports, metadata, primero, serve, translations, users, xlsform
from server.cli import data_protection, operations
from server.config import load_config
from server.errors import AbriError


def _create_app():
    """Build the app for a CLI command; without ABRI_MONGO_URI, reach the embedded database."""
    settings = load_config()
    overrides = None if settings["MONGO_URI"] else {"MONGO_URI": common.embedded_uri(settings)}
    app = create_app(overrides)  # a setting refused at start, or another profile than the stored one: AbriError
    # Close the client when the command ends, while its server still answers: closing it later (at exit,
    # once an embedded database has stopped) waits 10 s for a server to send endSessions to.
    common.when_command_ends(app.close)
    return app


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
for command in (operations.migrate, operations.backup, operations.restore):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="abri")
