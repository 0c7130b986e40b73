"""`abri metadata`: load a configuration folder as the draft, publish, dump, import places, status."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click
from flask.cli import with_appcontext

from server.cli.common import languages
from server.metadata import draft as drafts
from server.metadata.bootstrap import SYSTEM_USER, load_directory
from server.metadata.files import dump_directory
from server.metadata.locations import MAX_FILE_BYTES, import_csv
from server.metadata.versions import published_configuration
from server.records import service as record_service
from server.storage import get_db


@click.group("metadata")
def metadata() -> None:
    """Load, publish and dump the configuration (forms, lookups, modules)."""


@metadata.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--publish", "publish_after", is_flag=True, help="Publish right after loading.")
@click.option("--force", is_flag=True, help="Replace the draft even if it has unpublished changes.")
@click.option("--profile", default=None, help="Add the country overlay DIRECTORY/countries/<profile>/ (bj, cm).")
@with_appcontext
def load(directory: str, publish_after: bool, force: bool, profile: str | None) -> None:
    """Make the documents of DIRECTORY (and a country profile) the draft."""
    count = load_directory(get_db(), directory, SYSTEM_USER, force=force, profile=profile)
    click.echo(f"Loaded {count} documents into the draft.")
    if publish_after:
        _publish("loaded from " + directory)


def _publish(comment: str) -> None:
    result = drafts.publish_draft(get_db(), languages(), SYSTEM_USER, datetime.now(timezone.utc), comment)
    record_service.ensure_indexes(get_db(), published_configuration(get_db()))
    for warning in result["warnings"]:
        click.echo(f"warning {warning['field']}: {warning['message']}")
    click.echo(f"Published version {result['version']['version']}.")


@metadata.command("import-locations")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--hierarchy", "unique_id", required=True, help="The location hierarchy to replace, e.g. locations-bj.")
@click.option("--confirm", is_flag=True, help="Also remove places that records use (listed by a first run).")
@with_appcontext
def import_locations(path: str, unique_id: str, confirm: bool) -> None:
    """Replace the places of a location hierarchy in the draft with a CSV with HXL hashtags."""
    with open(path, "rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)  # one byte more: decode_csv refuses a larger file
    result = import_csv(get_db(), unique_id, data, languages(), SYSTEM_USER, datetime.now(timezone.utc),
                        confirm=confirm, address="cli")
    for place in result["removed_in_use"]:
        click.echo(f"removed although records use it: {place['code']} ({place['name']}): "
                   + ", ".join(f"{kind} {count}" for kind, count in place["records"].items()))
    click.echo(f"{len(result['entry']['body']['locations'])} places in {unique_id} (draft), "
               f"{len(result['removed'])} removed; publish to apply.")


@metadata.command("publish")
@click.option("-m", "--comment", default="", help="What this version changes.")
@with_appcontext
def publish(comment: str) -> None:
    """Run the checks and publish the draft."""
    _publish(comment)


@metadata.command("dump")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def dump(directory: str) -> None:
    """Write the published configuration into DIRECTORY, one file per document."""
    config = published_configuration(get_db())
    count = dump_directory(config, directory)
    click.echo(f"Wrote {count} documents of version {config.version} to {directory}.")


@metadata.command("status")
@with_appcontext
def status() -> None:
    """Show the draft's changes and check results as JSON."""
    click.echo(json.dumps(drafts.draft_status(get_db(), languages()), indent=2, ensure_ascii=False, default=str))
