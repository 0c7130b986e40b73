"""`abri metadata`: load a configuration folder as the draft, publish, dump, import places, status.

The commands act as the machine operator (user "system", from "cli") through the same use cases as
the API, so a publish or an import from here is checked and audited as one from the API.
"""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from server.metadata.files import dump_directory
from server.services import configuration, locations
from server.services.context import Context, command_line_context
from server.storage import get_db


def _context() -> Context:
    return command_line_context(get_db(), current_app.config)


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
    count = configuration.load_folder(_context(), directory, force=force, profile=profile)
    click.echo(f"Loaded {count} documents into the draft.")
    if publish_after:
        _publish("loaded from " + directory)


def _publish(comment: str) -> None:
    result = configuration.publish(_context(), comment)
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
        data = file.read(locations.MAX_FILE_BYTES + 1)  # one byte more: a larger file is refused
    result = locations.import_places(_context(), unique_id, data, confirm=confirm)
    for place in result["removed_in_use"]:
        click.echo(f"removed although records use it: {place['code']} ({place['name']}): "
                   + ", ".join(f"{kind} {count}" for kind, count in place["records"].items()))
    click.echo(f"{len(result['entry']['body']['locations'])} places in {unique_id} (draft), "
               f"{len(result['removed'])} removed; publish to apply.")


@metadata.command("import-boundaries")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--hierarchy", "unique_id", required=True, help="The location hierarchy, e.g. locations-bj.")
@click.option("--code-property", default="code", show_default=True,
              help="The property of each GeoJSON feature that holds its place's code.")
@with_appcontext
def import_boundaries(path: str, unique_id: str, code_property: str) -> None:
    """Set the map shapes of a hierarchy's places in the draft from a GeoJSON FeatureCollection."""
    with open(path, "rb") as file:
        data = file.read(locations.MAX_BOUNDARIES_BYTES + 1)  # one byte more: a larger file is refused
    result = locations.import_boundaries(_context(), unique_id, data, code_property)
    click.echo(f"{len(result['places'])} places of {unique_id} have a shape (draft); publish to apply.")


@metadata.command("publish")
@click.option("-m", "--comment", default="", help="What this version changes.")
@with_appcontext
def publish(comment: str) -> None:
    """Run the checks and publish the draft."""
    _publish(comment)


@metadata.command("restore")
@click.argument("version", type=click.IntRange(min=1))
@click.option("-m", "--comment", default="", help="Why (default: restore of version VERSION).")
@click.option("--discard-draft", is_flag=True, help="Restore even if the draft has unpublished changes (lost).")
@with_appcontext
def restore(version: int, comment: str, discard_draft: bool) -> None:
    """Publish an old VERSION again as a new version (and make it the draft)."""
    result = configuration.restore(_context(), version, comment, discard_draft)
    for warning in result["warnings"]:
        click.echo(f"warning {warning['field']}: {warning['message']}")
    click.echo(f"Restored version {version} as version {result['version']['version']}.")


@metadata.command("dump")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def dump(directory: str) -> None:
    """Write the published configuration into DIRECTORY, one file per document."""
    config = configuration.published(_context())
    count = dump_directory(config, directory)
    click.echo(f"Wrote {count} documents of version {config.version} to {directory}.")


@metadata.command("status")
@with_appcontext
def status() -> None:
    """Show the draft's changes and check results as JSON."""
    click.echo(json.dumps(configuration.draft_status(_context()), indent=2, ensure_ascii=False, default=str))
