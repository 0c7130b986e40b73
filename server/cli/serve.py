"""`abri serve`: the production server (waitress), the embedded database unless ABRI_MONGO_URI is set."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import click
from waitress import create_server

from server.app import create_app
from server.auth.accounts import ADMIN_USER
from server.cli.common import instance_hint
from server.config import environment_choices, load_config
from server.embedded import EmbeddedDatabase, EmbeddedDatabaseError
from server.services.context import command_line_context
from server.services.deployment import start_server
from server.services.settings import check_settings
from server.services.workers import start_report_warm_up, start_workers
from server.storage import get_db


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=16, show_default=True, type=click.IntRange(2, 1000),
              help="Worker threads (each open live alert stream holds one).")
@click.option("--profile", default=None,
              help="Country profile of a new deployment: bj, cm (default ABRI_PROFILE); kept in the database.")
def serve(host: str, port: int, threads: int, profile: str | None) -> None:
    """Run Abri with the waitress WSGI server (the embedded database unless ABRI_MONGO_URI is set)."""
    settings = load_config()
    check_settings(settings)  # before the embedded database starts: a refused start leaves nothing behind
    database = None
    if not settings["MONGO_URI"]:
        try:
            database = EmbeddedDatabase(Path(settings["INSTANCE_PATH"]) / "db", announce=True,
                                        settings=settings).start()
        except (EmbeddedDatabaseError, OSError) as error:
            raise click.ClickException(str(error) + instance_hint(error, Path(settings["INSTANCE_PATH"]))) from None
        click.echo(f"Embedded database (SecantusDB) at {database.address}, data in {database.data_dir}")
    app = None
    try:
        overrides = {"MONGO_URI": without_retryable_writes(database.uri)} if database else {}
        if profile:
            overrides["PROFILE"] = profile
        # Live alert streams may hold all but 4 threads: the other requests are never starved by them.
        overrides["ALERT_STREAMS_MAX"] = min(settings["ALERT_STREAMS_MAX"], threads - 4 if threads > 4 else 0)
        app = create_app(overrides)
        with app.app_context():
            _start(app)
        if settings["MONGO_URI"] and not settings["EXPORT_PASSWORD_KEY"]:  # a shared database: maybe other machines
            click.echo("Warning: ABRI_EXPORT_PASSWORD_KEY is empty, so this process seals export passwords with a key "
                       f"file of its own (in {settings['INSTANCE_PATH']}): give every app and worker process the same "
                       "ABRI_EXPORT_PASSWORD_KEY, or a password-protected export claimed on another machine fails.")
        workers = start_workers(app, app.config["EXPORT_WORKER_THREADS"])
        start_report_warm_up(app)   # the first report after a start need not read every record
        # waitress drops X-Forwarded-* unless told to keep them: with trusted proxies in front, ProxyFix
        # (server/app.py init_proxies) reads them, trusting exactly TRUSTED_PROXIES hops.
        server = create_server(app, host=host, port=port, threads=threads, ident="Abri",
                               clear_untrusted_proxy_headers=not app.config["TRUSTED_PROXIES"])
        signal.signal(signal.SIGTERM, lambda *_: server.close() or sys.exit(0))
        click.echo(f"Abri serving on http://{host}:{port} (Ctrl-C to stop)")
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            workers.stop()  # the running export goes back to the queue; the threads end before the client closes
    finally:
        if app is not None:
            app.close()  # while its database still answers
        if database:
            database.stop()
        click.echo("Abri stopped.")


def without_retryable_writes(uri: str) -> str:
    """The embedded database's URI for the server's own client: writes not retried by the driver.

    SecantusDB presents itself as a one-member replica set, so the driver numbers every write to retry it after
    a failover that cannot happen on loopback; the server keeps each write's answer for 30 minutes (up to 10,000)
    and walks them all on every write (sorts them once full). A write that fails still fails loudly (503),
    and the field apps' writes are idempotent, so they retry it themselves.
    """
    return uri + ("&" if "?" in uri else "?") + "retryWrites=false"


def _start(app) -> None:
    """Record or read the deployment, publish on first start, make the administrator; say what is active."""
    started = start_server(command_line_context(get_db(), app.config), app)
    start, deployment = started.start, started.start.deployment
    if start.version:
        click.echo(f"Published the shipped configuration as version {start.version}"
                   + (f" with the {deployment['country']} profile." if deployment["profile"] else "."))
    if start.agencies:
        click.echo(f"Created the agencies of the profile: {', '.join(start.agencies)}.")
    click.echo(_deployment_line(deployment, start.stored_now))
    for variable, value in environment_choices().items():
        click.echo(f"{variable}={value} overrides the deployment's setting.")
    config = app.config
    click.echo(f"Active: languages {', '.join(config['LANGUAGES'])}; labels default to {config['DEFAULT_LANGUAGE']}; "
               f"messages default to {config['DEFAULT_LOCALE']}.")
    if started.admin_password:
        click.echo(f"Created the administrator: user name {ADMIN_USER}, password {started.admin_password} "
                   "(shown only this once; change it after logging in).")
    elif started.admin_created:
        click.echo(f"Created the administrator: user name {ADMIN_USER}.")


def _deployment_line(deployment: dict, stored_now: bool) -> str:
    """Say which country profile this deployment runs (stored at its first start)."""
    profile = (f"country profile {deployment['profile']} ({deployment['country']})" if deployment["profile"]
               else "no country profile")
    when = "recorded now" if stored_now else f"since {deployment['created_at']:%Y-%m-%d}"
    return f"Deployment: {profile}, {when}."
