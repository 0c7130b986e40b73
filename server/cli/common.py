"""What the commands share: the one error display and the instance folder hint."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from server.errors import AbriError


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
