"""`abri agencies`: agencies created by the machine's operator, audited as the API's (user "system", from "cli")."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from server.services import accounts as use_cases
from server.services.context import command_line_context
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
    agency = use_cases.create_entity(command_line_context(get_db(), current_app.config), use_cases.AGENCIES,
                                     {"unique_id": unique_id, "agency_code": agency_code,
                                      "name_i18n": {"en": name_en, "fr": name_fr}})
    click.echo(f"Created agency {agency['unique_id']}.")
