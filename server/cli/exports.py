"""`abri worker` (export jobs in their own process) and `abri export` (one export now, to a file)."""
from __future__ import annotations

import signal
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from server.auth import principal_for_user
from server.auth.audit import log_event
from server.export import jobs
from server.export.worker import export_settings, start_workers
from server.metadata.versions import published_configuration
from server.records.service import Actor
from server.storage import exports as export_store, get_db


@click.command("worker")
@click.option("--threads", default=1, show_default=True, type=int, help="Jobs run at the same time.")
@with_appcontext
def worker(threads: int) -> None:
    """Run export jobs (in a separate process; any number of them can run)."""
    stop = start_workers(current_app._get_current_object(), threads)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"Export worker running with {threads} threads (Ctrl-C to stop).")
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        stop.set()
    click.echo("Export worker stopped.")


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    if any("=" not in item for item in items):
        raise click.BadParameter("use FIELD=VALUE, for example sex=female")
    return dict(item.split("=", 1) for item in items)


@click.command("export")
@click.option("--user", "user_name", required=True, help="Export as this user (their role decides what is exported).")
@click.option("--record-type", type=click.Choice(["case", "incident", "tracing_request"]), default="case",
              show_default=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "json"]), default="xlsx", show_default=True)
@click.option("--locale", default=None, help="Language of headers and labels (default: the default language).")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE", callback=lambda _c, _p, items: _pairs(items),
              help="Like the list filters (sex=female, age=10..15); repeatable.")
@click.option("--form", "form_ids", multiple=True, help="Only these forms; repeatable.")
@click.option("--codes", is_flag=True, help="Option codes instead of labels.")
@click.option("--include-removed", is_flag=True, help="Also fields removed from the forms.")
@click.option("--include-disabled", is_flag=True, help="Also disabled records, marked as such (roles that read records).")
@click.option("--password", default=None, help="Encrypt the file with this password.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Where to write the file.")
@with_appcontext
def export(user_name, record_type, fmt, locale, filters, form_ids, codes, include_removed, include_disabled, password,
           out_path) -> None:
    """Run an export now, with a progress bar, and write the file."""
    db, settings = get_db(), export_settings(current_app.config)
    principal = principal_for_user(db, user_name)
    config = published_configuration(db)
    params = {"record_type": record_type, "format": fmt, "locale": locale, "codes": codes,
              "include_removed": include_removed, "include_disabled": include_disabled, "password": password,
              "form_ids": list(form_ids) or None,
              "filters": filters}
    job = jobs.create_export(db, config, Actor(user_name, datetime.now(timezone.utc), principal), params, settings)
    with click.progressbar(length=1, label="Exporting") as bar:
        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)
        jobs.run_job(db, job, config, principal, settings, None, advance)
    finished = export_store.find_job(db, job["_id"])
    if finished["status"] != "complete":
        raise click.ClickException("; ".join(finished["errors"]))
    with open(out_path, "wb") as out:
        for chunk in export_store.read_file(db, job["_id"]):
            out.write(chunk)
    export_store.delete_job(db, job["_id"])
    log_event(db, action="export", user_name=user_name, at=datetime.now(timezone.utc), address="cli",
              resource=record_type, record_id=job["_id"], detail=fmt)
    click.echo(f"Wrote {finished['total']} records to {out_path}.")
