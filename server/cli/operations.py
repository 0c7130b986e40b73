"""`abri migrate`, `abri backup`, `abri restore`: upgrades and backups, on the database itself (no app is built,
so a restore reaches an empty database and a migration can be run before any process starts)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from server.cli.common import command_database
from server.config import load_config
from server.services import backups, migrations
from server.services.settings import check_settings


def _settings() -> dict:
    settings = load_config()
    check_settings(settings)
    return settings


def _password(settings: dict, password_file: Path | None, confirm: bool) -> str:
    """--password-file, else ABRI_BACKUP_PASSWORD, else asked at the terminal (never on a command line)."""
    if password_file is not None:
        return backups.check_password(password_file.read_text("utf-8").rstrip("\r\n"))
    if settings["BACKUP_PASSWORD"]:
        return backups.check_password(settings["BACKUP_PASSWORD"])
    if not sys.stdin.isatty():
        return backups.check_password(None)
    return backups.check_password(click.prompt("Backup password", hide_input=True, confirmation_prompt=confirm))


@click.command("migrate")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
def migrate(as_json: bool) -> None:
    """Move the database to this release's schema version (what every start does unless ABRI_MIGRATE_ON_START=false)."""
    settings = _settings()
    db = command_database(settings)
    report = None if as_json else lambda step: click.echo(
        f"  step {step['version']} {step['name']}: {step['summary']} ({step['changed']} documents changed)")
    done = migrations.migrate(db, settings, report)
    if as_json:
        click.echo(json.dumps(done.__dict__, indent=2))
    elif done.before is None:
        click.echo(f"The database {db.name} is new: schema version {done.after}.")
    elif done.before == done.after:
        click.echo(f"The database {db.name} is at schema version {done.after}, this release's: nothing to do.")
    else:
        click.echo(f"The database {db.name} moved from schema version {done.before} to {done.after}.")


@click.command("backup")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the backup to this file.")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Write a dated backup into this folder and delete the ones the retention does not keep.")
@click.option("--keep-daily", default=7, show_default=True, type=click.IntRange(1, 366),
              help="With --dir: keep the newest backup of each of this many most recent days.")
@click.option("--keep-weekly", default=5, show_default=True, type=click.IntRange(0, 520),
              help="With --dir: and of each of this many most recent weeks.")
@click.option("--password-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Read the password from this file (else ABRI_BACKUP_PASSWORD, else it is asked).")
def backup(out: Path | None, folder: Path | None, keep_daily: int, keep_weekly: int,
           password_file: Path | None) -> None:
    """Write an encrypted backup of everything Abri stores, from one snapshot, while the server keeps serving."""
    if (out is None) == (folder is None):
        raise click.UsageError("give either --out FILE or --dir FOLDER")
    settings = _settings()
    password = _password(settings, password_file, confirm=True)
    db = command_database(settings)
    started = time.monotonic()
    if out is not None:
        written, removed = backups.write_backup(db, out, password), []
    else:
        written, removed = backups.write_scheduled(db, folder, password, keep_daily, keep_weekly)
    manifest = written.manifest
    click.echo(f"Backup written to {written.path} ({written.path.stat().st_size / 1e6:.1f} MB) in "
               f"{time.monotonic() - started:.1f} s, from a {manifest['snapshot'].replace('_', ' ')}: "
               f"schema version {manifest['schema_version']}, configuration version {manifest['config_version']}; "
               + _counts(manifest) + ".")
    for path in removed:
        click.echo(f"Removed {path.name} (older than the retention keeps).")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Only check the file from end to end (password, frames, checksums).")
@click.option("--password-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Read the password from this file (else ABRI_BACKUP_PASSWORD, else it is asked).")
def restore(file: Path, check: bool, password_file: Path | None) -> None:
    """Restore a backup into an empty database (refused if the database holds data)."""
    settings = _settings()
    password = _password(settings, password_file, confirm=False)
    if check:
        manifest = backups.read_manifest(file, password)
        click.echo(f"{file.name} is whole: made {manifest['started_at']} by Abri {manifest['abri_version']} from "
                   f"the database {manifest['database']}, schema version {manifest['schema_version']}, configuration "
                   f"version {manifest['config_version']}; " + _counts(manifest) + ".")
        return
    db = command_database(settings)
    started = time.monotonic()
    manifest = backups.restore_backup(db, file, password)
    click.echo(f"Restored {file.name} into the database {db.name} in {time.monotonic() - started:.1f} s: "
               + _counts(manifest) + ".")
    click.echo("Start Abri: it migrates the database if the backup comes from an earlier release. Everyone signs in "
               "again, and tablets start their sync over.")


def _counts(manifest: dict) -> str:
    return ", ".join(f"{count} {label.replace('_', ' ')}" for label, count in manifest["counts"].items())
