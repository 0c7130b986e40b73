"""`abri worker` (export jobs in their own process) and `abri export` (one export now, to a file)."""
from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from server.auth import principal_for_user
from server.services import exports
from server.services.context import CLI_ADDRESS, Context
from server.services.workers import start_workers
from server.storage import get_db


@click.command("worker")
@click.option("--threads", default=1, show_default=True, type=int, help="Jobs run at the same time.")
@with_appcontext
def worker(threads: int) -> None:
    """Run export jobs (in a separate process; any number of them can run)."""
    workers = start_workers(current_app._get_current_object(), threads)
    signal.signal(signal.SIGTERM, lambda *_: workers.set())
    click.echo(f"Export worker running with {threads} threads (Ctrl-C to stop).")
    try:
        while not workers.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    workers.stop()  # every thread ended (a running job given back) before the command closes the app's client
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
@click.option("--identifying", type=click.Choice(["include", "hash", "drop"]), default=None,
              help="Identifying fields as they are, as pseudonyms, or left out (default: include when the role has "
                   "export_identifying, else hash).")
@click.option("--partner-agency", default=None, help="With hash: the agency whose pseudonyms the file holds.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Where to write the file.")
@with_appcontext
def export(user_name, record_type, fmt, locale, filters, form_ids, codes, include_removed, include_disabled, password,
           identifying, partner_agency, out_path) -> None:
    """Run an export now, with a progress bar, and write the file."""
    db = get_db()
    ctx = Context(db=db, settings=current_app.config, principal=principal_for_user(db, user_name),
                  user_name=user_name, address=CLI_ADDRESS)
    params = {"record_type": record_type, "format": fmt, "locale": locale, "codes": codes,
              "include_removed": include_removed, "include_disabled": include_disabled, "password": password,
              "form_ids": list(form_ids) or None, "filters": filters, "identifying": identifying,
              "partner_agency": partner_agency}
    def save(chunks) -> None:
        with open(out_path, "wb") as out:
            out.writelines(chunks)

    with click.progressbar(length=1, label="Exporting") as bar:
        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)
        finished = exports.export_now(ctx, params, save, advance)
    if finished["status"] != "complete":
        raise click.ClickException("; ".join(finished["errors"]))
    click.echo(f"Wrote {finished['total']} records to {out_path}.")
