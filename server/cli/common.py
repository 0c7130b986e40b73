"""What the commands share: the one error display, the instance folder hint, the command's database."""
from __future__ import annotations

import atexit
import sys
from pathlib import Path
from typing import Any, Mapping, NoReturn

import click

from server.embedded import EmbeddedDatabase, EmbeddedDatabaseError, running_uri
from server.errors import AbriError
from server.storage import Database, connect
from server.storage.client import disconnect


def fail(error: AbriError) -> NoReturn:
    """Print an error the way the API answers it (code, message, every detail) and exit with status 1."""
    body = error.as_json()["error"]
    click.echo(f"{body['code']}: {body['message']}", err=True)
    for detail in body["details"]:
        click.echo(f"  {detail['field']}: {detail['code']}: {detail['message']}", err=True)
    sys.exit(1)


def instance_hint(error: Exception, instance: Path) -> str:
    """Point at ABRI_INSTANCE_PATH when the instance folder (or a folder above it) is what could not be written."""
    failed = getattr(error, "filename", None)
    if failed is None or not (Path(failed) == instance or Path(failed) in instance.parents
                              or instance in Path(failed).parents):
        return ""
    return f" (the instance folder is {instance}: set ABRI_INSTANCE_PATH to a folder this account may write)"


def when_command_ends(callback) -> None:
    """Run `callback` when the current command ends (last registered, first run), or else at exit."""
    command = click.get_current_context(silent=True)
    if command is not None:
        command.call_on_close(callback)
    else:
        atexit.register(callback)


def embedded_uri(settings: Mapping[str, Any]) -> str:
    """Use the embedded database of a running `abri serve`, or start one for this command."""
    instance = Path(settings["INSTANCE_PATH"])
    uri = running_uri(instance)
    if uri:
        return uri
    try:
        database = EmbeddedDatabase(instance / "db", settings=settings).start()
    except (EmbeddedDatabaseError, OSError) as error:
        raise click.ClickException(str(error) + instance_hint(error, instance)) from None
    when_command_ends(database.stop)  # after the app's client closes (registered later, so run first)
    return database.uri


def command_database(settings: Mapping[str, Any]) -> Database:
    """The database of a command that needs no app (migrate, backup, restore), closed when the command ends."""
    uri = settings["MONGO_URI"] or embedded_uri(settings)
    database = connect(uri, settings["MONGO_DB_NAME"])
    when_command_ends(lambda: disconnect(database))
    return database
