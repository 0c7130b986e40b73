"""`abri agencies`: agencies created by the machine's operator."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask.cli import with_appcontext

from server.auth import accounts
from server.storage import get_db


@click.group("agencies")
def agencies() -> None:
    """Create agencies (offices, delegations, partner organisations)."""


@agencies.command("create")
@click.argument("unique_id")
@click.option("--code", "agency_code", required=True, help="Short code, e.g. GUPS-COT.")
@click.option("--name-en", required=True)
@click.option("--name-fr", required=True)
@with_appcontext
def create_agency(unique_id: str, agency_code: str, name_en: str, name_fr: str) -> None:
    """Create an agency."""
    accounts.create_entity(get_db(), "agencies", {"unique_id": unique_id, "agency_code": agency_code,
                                                  "name_i18n": {"en": name_en, "fr": name_fr}},
                           datetime.now(timezone.utc))
    click.echo(f"Created agency {unique_id}.")
