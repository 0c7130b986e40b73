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
@click.option("--type", "agency_type", help="A value of lookup-agency-type (police, justice, ngo, social_services, "
                                             "...): reports count referrals by it.")
@with_appcontext
def create_agency(unique_id: str, agency_code: str, name_en: str, name_fr: str, agency_type: str | None) -> None:
    """Create an agency."""
    data = {"unique_id": unique_id, "agency_code": agency_code, "name_i18n": {"en": name_en, "fr": name_fr},
            **({"agency_type": agency_type} if agency_type else {})}
    agency = use_cases.create_entity(command_line_context(get_db(), current_app.config), use_cases.AGENCIES, data)
    click.echo(f"Created agency {agency['unique_id']}.")
