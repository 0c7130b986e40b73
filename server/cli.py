"""The `abri` command line: serve, and the metadata workflow.

    abri serve [--host H] [--port P]     the production server (waitress); embedded DB by default
    abri metadata load DIR [--publish]   a configuration folder becomes the draft
    abri metadata publish [-m COMMENT]   publish the draft
    abri metadata dump DIR               write the published configuration as files
    abri metadata status                 the draft's changes and check results
"""
from __future__ import annotations

import atexit
import json
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from server.auth import accounts
from server.auth.audit import log_event
from server.errors import AbriError
from server.export.worker import start_workers
from server.metadata import draft as drafts
from server.metadata.bootstrap import SYSTEM_USER, load_directory
from server.metadata.files import dump_directory
from server.metadata.versions import LanguageSettings, published_configuration
from server.records import service as record_service
from server.storage import get_db


def _create_app():
    """Build the app for a CLI command; without ABRI_MONGO_URI, reach the embedded database."""
    from server.app import create_app
    from server.config import load_config

    settings = load_config()
    overrides = None if settings["MONGO_URI"] else {"MONGO_URI": _embedded_uri(Path(settings["INSTANCE_PATH"]))}
    try:
        app = create_app(overrides)
    except AbriError as error:  # a setting refused at start, or another country profile than the stored one
        _fail(error)
    # Close the client when the command ends, while its server still answers: closing it later (at exit,
    # once an embedded database has stopped) waits 10 s for a server to send endSessions to.
    _when_command_ends(app.close)
    return app


def _when_command_ends(callback) -> None:
    """Run `callback` when the current command ends (last registered, first run), or else at exit."""
    command = click.get_current_context(silent=True)
    if command is not None:
        command.call_on_close(callback)
    else:
        atexit.register(callback)


def _embedded_uri(instance: Path) -> str:
    """Use the embedded database of a running `abri serve`, or start one for this command."""
    from server.embedded import EmbeddedDatabase, EmbeddedDatabaseError, running_uri

    uri = running_uri(instance)
    if uri:
        return uri
    try:
        database = EmbeddedDatabase(instance / "db").start()
    except (EmbeddedDatabaseError, OSError) as error:
        raise click.ClickException(str(error) + _instance_hint(error, instance)) from None
    _when_command_ends(database.stop)  # after the app's client closes (registered later, so run first)
    return database.uri


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def cli() -> None:
    """Abri: configurable form and metadata server for child-protection case management."""


def _languages() -> LanguageSettings:
    return LanguageSettings(tuple(current_app.config["LANGUAGES"]), current_app.config["DEFAULT_LANGUAGE"])


def _fail(error: AbriError) -> None:
    body = error.as_json()["error"]
    click.echo(f"{body['code']}: {body['message']}", err=True)
    for detail in body["details"]:
        click.echo(f"  {detail['field']}: {detail['code']}: {detail['message']}", err=True)
    sys.exit(1)


@cli.command("serve", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.option("--profile", default=None,
              help="Country profile of a new deployment: bj, cm (default ABRI_PROFILE); kept in the database.")
def serve(host: str, port: int, threads: int, profile: str | None) -> None:
    """Run Abri with the waitress WSGI server (the embedded database unless ABRI_MONGO_URI is set)."""
    from waitress import create_server

    from server.app import create_app
    from server.config import check_settings, load_config
    from server.embedded import EmbeddedDatabase, EmbeddedDatabaseError

    settings = load_config()
    try:
        check_settings(settings)  # before the embedded database starts: a refused start leaves nothing behind
    except AbriError as error:
        _fail(error)
    database = None
    if not settings["MONGO_URI"]:
        try:
            database = EmbeddedDatabase(Path(settings["INSTANCE_PATH"]) / "db", announce=True).start()
        except (EmbeddedDatabaseError, OSError) as error:
            raise click.ClickException(str(error) + _instance_hint(error, Path(settings["INSTANCE_PATH"]))) from None
        click.echo(f"Embedded database (SecantusDB) at {database.address}, data in {database.data_dir}")
    app = None
    try:
        overrides = {"MONGO_URI": database.uri} if database else {}
        if profile:
            overrides["PROFILE"] = profile
        app = create_app(overrides)
        with app.app_context():
            _start(app)
        workers = start_workers(app, app.config["EXPORT_WORKER_THREADS"])
        server = create_server(app, host=host, port=port, threads=threads, ident="Abri")
        signal.signal(signal.SIGTERM, lambda *_: server.close() or sys.exit(0))
        click.echo(f"Abri serving on http://{host}:{port} (Ctrl-C to stop)")
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            workers.set()
            server.close()
    except AbriError as error:
        _fail(error)
    finally:
        if app is not None:
            app.close()  # while its database still answers
        if database:
            database.stop()
        click.echo("Abri stopped.")


def _instance_hint(error: Exception, instance: Path) -> str:
    """Point at ABRI_INSTANCE_PATH when the instance folder (or a folder above it) is what could not be written."""
    failed = getattr(error, "filename", None)
    if failed is None or not (Path(failed) == instance or Path(failed) in instance.parents
                              or instance in Path(failed).parents):
        return ""
    return f" (the instance folder is {instance}: set ABRI_INSTANCE_PATH to a folder this account may write)"


def _start(app) -> None:
    """Record or read the deployment, publish on first start, make the administrator; say what is active."""
    from server.config import environment_choices
    from server.deployment import start_deployment

    now = datetime.now(timezone.utc)
    start = start_deployment(app, now)
    record_service.ensure_indexes(get_db(), published_configuration(get_db()))
    deployment = start.deployment
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
    try:
        created, generated = accounts.ensure_admin(get_db(), published_configuration(get_db()),
                                                   config["ADMIN_PASSWORD"] or None, now)
    except AbriError as error:
        if error.code != "ALREADY_EXISTS":
            raise
        created, generated = False, None  # another process starting at the same moment made it
    if generated:
        click.echo(f"Created the administrator: user name {accounts.ADMIN_USER}, password {generated} "
                   "(shown only this once; change it after logging in).")
    elif created:
        click.echo(f"Created the administrator: user name {accounts.ADMIN_USER}.")


def _deployment_line(deployment: dict, stored_now: bool) -> str:
    """Say which country profile this deployment runs (stored at its first start)."""
    profile = (f"country profile {deployment['profile']} ({deployment['country']})" if deployment["profile"]
               else "no country profile")
    when = "recorded now" if stored_now else f"since {deployment['created_at']:%Y-%m-%d}"
    return f"Deployment: {profile}, {when}."


@cli.command("worker")
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


@cli.command("export")
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
    from server.auth import principal_for_user
    from server.export import jobs
    from server.export.worker import export_settings
    from server.records.service import Actor
    from server.storage import exports as export_store

    db, settings = get_db(), export_settings(current_app.config)
    try:
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
    except AbriError as error:
        _fail(error)
    click.echo(f"Wrote {finished['total']} records to {out_path}.")


@cli.group("users")
def users() -> None:
    """Create and disable users, and the first administrator.

    The command line is the machine operator's: it may give any role and disable anyone, the last
    system administrator included (after a warning), since it can always create one again.
    """


@users.command("create-admin")
@click.option("--user-name", default=accounts.ADMIN_USER, show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Long, not common, without the user's name (asked for when not given).")
@with_appcontext
def create_admin(user_name: str, password: str) -> None:
    """Create a system administrator."""
    _create_user(user_name, password, accounts.ADMIN_ROLE, None)


@users.command("create")
@click.argument("user_name")
@click.option("--role", "role_id", required=True, help="Role unique_id, e.g. role-case-worker.")
@click.option("--agency", default=None, help="Agency unique_id.")
@click.option("--full-name", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_user(user_name: str, role_id: str, agency: str | None, full_name: str | None, password: str) -> None:
    """Create a user with a role (and an agency)."""
    _create_user(user_name, password, role_id, agency, full_name)


def _create_user(user_name: str, password: str, role_id: str, agency: str | None, full_name: str | None = None) -> None:
    now = datetime.now(timezone.utc)
    try:
        user = accounts.create_user(get_db(), published_configuration(get_db()),
                                    {"user_name": user_name, "password": password, "role_unique_id": role_id,
                                     "agency_unique_id": agency, "full_name": full_name}, now)
    except AbriError as error:
        _fail(error)
    log_event(get_db(), action="user_created", user_name=SYSTEM_USER, at=now, address="cli", resource="user",
              record_id=user["_id"], detail=f"role_unique_id={json.dumps(role_id)}; agency_unique_id={json.dumps(agency)}")
    click.echo(f"Created user {user['_id']} with role {role_id}.")


@users.command("disable")
@click.argument("user_name")
@with_appcontext
def disable_user(user_name: str) -> None:
    """Disable a user and end all their sessions."""
    from server.auth.rights import count_administrators

    db, now = get_db(), datetime.now(timezone.utc)
    try:
        user = accounts.update_user(db, published_configuration(db), user_name, {"disabled": True}, now)
    except AbriError as error:
        _fail(error)
    log_event(db, action="user_updated", user_name=SYSTEM_USER, at=now, address="cli", resource="user",
              record_id=user["_id"], detail="disabled=true")
    click.echo(f"Disabled user {user['_id']}; their tokens and sessions are revoked.")
    if not count_administrators(db, published_configuration(db)):
        click.echo("Warning: no active system administrator remains; create one with `abri users create-admin`.",
                   err=True)


@cli.group("agencies")
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
    try:
        accounts.create_entity(get_db(), "agencies", {"unique_id": unique_id, "agency_code": agency_code,
                                                      "name_i18n": {"en": name_en, "fr": name_fr}},
                               datetime.now(timezone.utc))
    except AbriError as error:
        _fail(error)
    click.echo(f"Created agency {unique_id}.")


@cli.group("translations")
def translations() -> None:
    """The server's messages (extract, update, compile: in a source checkout) and the forms' translations."""


def _pybabel(*args: str) -> None:
    """Run pybabel on the source checkout; an installed package has no sources to extract or catalogs to edit."""
    from babel.messages.frontend import CommandLineInterface

    from server.config import PROJECT_ROOT

    translations_dir = PROJECT_ROOT / "translations"
    if not (PROJECT_ROOT / "babel.cfg").is_file() or not translations_dir.is_dir():
        raise click.ClickException(
            "abri translations extract, update and compile are developer commands: run them in a source checkout "
            f"of Abri (no babel.cfg in {PROJECT_ROOT}). An installed package already holds its compiled catalogs.")
    CommandLineInterface().run(["pybabel", *[a.replace("{root}", str(PROJECT_ROOT))
                                             .replace("{translations}", str(translations_dir)) for a in args]])


@translations.command("extract")
def translations_extract() -> None:
    """Collect the messages of the code into translations/messages.pot."""
    _pybabel("extract", "-F", "{root}/babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "--omit-header",
             "--sort-output", "-o", "{translations}/messages.pot", "{root}")


@translations.command("update")
def translations_update() -> None:
    """Merge messages.pot into every language's messages.po (new messages arrive untranslated)."""
    _pybabel("update", "-i", "{translations}/messages.pot", "-d", "{translations}", "-w", "100")


@translations.command("compile")
def translations_compile() -> None:
    """Compile the .po catalogs into the .mo files the server reads (commit them too)."""
    _pybabel("compile", "-d", "{translations}", "--statistics")


@translations.command("coverage")
@click.option("--locale", default=None, help="One language (default: every configured language).")
@with_appcontext
def translations_coverage(locale: str | None) -> None:
    """How much of the draft configuration is translated, per language and per form."""
    from server.metadata.translations import coverage

    languages = _languages()
    report = coverage(drafts.draft_configuration(get_db()), (locale,) if locale else languages.languages,
                      languages.default)
    for language, figures in report.items():
        click.echo(f"{language}: {figures['percent']}% ({figures['translated']}/{figures['total']} labels)")
        for document in figures["documents"]:
            if document["missing"]:
                click.echo(f"  {document['kind']} {document['unique_id']}: {document['percent']}% "
                           f"({len(document['missing'])} missing)")


@translations.command("download")
@click.option("--locale", required=True, help="The language to translate into.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def translations_download(locale: str, out_path: str) -> None:
    """Write the translators' spreadsheet of the draft for one language."""
    from server.export.translation_workbook import write_translation_workbook
    from server.metadata.translations import translation_rows

    default = _languages().default
    data = write_translation_workbook(translation_rows(drafts.draft_configuration(get_db()), locale, default),
                                      locale, default)
    Path(out_path).write_bytes(data)
    click.echo(f"Wrote {out_path}.")


@translations.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--locale", required=True, help="The language of the filled column.")
@with_appcontext
def translations_upload(path: str, locale: str) -> None:
    """Apply a filled spreadsheet to the draft (every row or none), then list what changed."""
    from server.export.translation_workbook import read_translation_workbook
    from server.metadata.translations import import_translations

    try:
        changes = import_translations(get_db(), read_translation_workbook(Path(path).read_bytes()), locale,
                                      _languages(), SYSTEM_USER, datetime.now(timezone.utc))
    except AbriError as error:
        _fail(error)
    for change in changes:
        where = "/".join(part for part in (change["field"], change["option"], change["property"]) if part)
        click.echo(f"{change['row']}: {change['kind']} {change['document']} {where}: "
                   f"{change['from']!r} -> {change['to']!r}")
    click.echo(f"{len(changes)} texts changed in the draft; publish to make them visible.")


@cli.group("metadata")
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
    try:
        count = load_directory(get_db(), directory, SYSTEM_USER, force=force, profile=profile)
        click.echo(f"Loaded {count} documents into the draft.")
        if publish_after:
            _publish("loaded from " + directory)
    except AbriError as error:
        _fail(error)


def _publish(comment: str) -> None:
    result = drafts.publish_draft(get_db(), _languages(), SYSTEM_USER, datetime.now(timezone.utc), comment)
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
    from server.metadata.locations import MAX_FILE_BYTES, import_csv

    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)  # one byte more: decode_csv refuses a larger file
        result = import_csv(get_db(), unique_id, data, _languages(), SYSTEM_USER, datetime.now(timezone.utc),
                            confirm=confirm, address="cli")
    except AbriError as error:
        _fail(error)
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
    try:
        _publish(comment)
    except AbriError as error:
        _fail(error)


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
    click.echo(json.dumps(drafts.draft_status(get_db(), _languages()), indent=2, ensure_ascii=False, default=str))


def main() -> None:
    cli(prog_name="abri")


if __name__ == "__main__":
    main()
