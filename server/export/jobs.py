"""Export jobs: ask for one, watch it, download it; the runner that writes the file.

A job remembers who asked and the list arguments, not a query: the runner rebuilds the user's
permissions when it runs, so a user disabled or a role narrowed meanwhile exports nothing more
than they may now see. The runner also records what the file holds (its fields) and under which
scope it was made, and a download is checked again against the user's rights of that moment.
Disabled records are left out unless the export asks for them (`include_disabled`), which only a
role that sees disabled records in lists may do: one that reads the record type.
Temporary files are removed whatever happens. A password is kept only sealed (AES-GCM under the
instance's key, see encryption.py) while the job waits, and the sealed value is dropped when the
job ends, complete or failed.

The records come from the record engine (server.records.reading): the user's scope and the fields
they may see, the rule of every record read. Each claim of a job writes its own file; the job takes
it only if that claim still holds the job when it completes (server.storage.exports). This is the
domain: the use cases (permission first, audit, the worker's claim) are in server.services.exports.
"""
from __future__ import annotations

import logging
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Mapping

from server.messages import _l, in_locale, message_locale

from server.auth import accounts
from server.errors import AbriError, Detail, Error, Forbidden, NotFound, Unprocessable
from server.export import encryption, pseudonyms
from server.export.cells import date_text
from server.export.envelope import JsonRecords, envelope_labels, with_linked_cases
from server.export.files import upload_fields, with_file_names
from server.export.layout import RECORD_STATE, build_layout
from server.export.rows import RowBuilder
from server.export.writers import PrintTexts, write_csv_zip, write_json, write_xlsx
from server.metadata.configuration import Configuration
from server.metadata.retention import identifying_fields
from server.records import service as records
from server.records.access import fields_of_forms
from server.records.reading import ReadableRecords, readable_records
from server.records.types import RECORD_TYPES
from server.records.validation import form_fields
from server.rules import Rule
from server.storage import Database, data_protection as secrets, exports as store

FORMATS = {"xlsx": "export_xlsx", "csv": "export_csv", "json": "export_json"}
EXTENSIONS = {"xlsx": "xlsx", "csv": "zip", "json": "json"}
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "application/zip",
        "json": "application/json", "zip": "application/zip"}
PROGRESS_EVERY = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportSettings:
    max_per_page: int
    ttl: timedelta
    lease: timedelta
    max_attempts: int
    languages: tuple[str, ...]
    default_language: str
    password_key: str = ""      # EXPORT_PASSWORD_KEY; empty: the key file in instance_path
    instance_path: str = ""

    def sealing_key(self) -> bytes:
        """The key that seals export passwords while jobs wait."""
        return encryption.instance_key(self.password_key, self.instance_path)


def export_settings(config: Mapping[str, Any]) -> ExportSettings:
    """The export settings of an app's configuration."""
    return ExportSettings(max_per_page=config["MAX_PER_PAGE"], ttl=timedelta(days=config["EXPORT_TTL_DAYS"]),
                          lease=timedelta(seconds=config["EXPORT_LEASE_SECONDS"]),
                          max_attempts=config["EXPORT_MAX_ATTEMPTS"], languages=tuple(config["LANGUAGES"]),
                          default_language=config["DEFAULT_LANGUAGE"], password_key=config["EXPORT_PASSWORD_KEY"],
                          instance_path=config["INSTANCE_PATH"])


SEALED = "password_sealed"
ENDED_UNSET = (SEALED, "password")  # "password": jobs queued by versions that kept it in clear


ENABLED_ONLY = {"record_state": True}
TITLES = {"case": _l("Export of cases"), "incident": _l("Export of incidents"),
          "tracing_request": _l("Export of tracing requests")}


def _labels() -> dict[str, Any]:
    return {"display_id": _l("Record id"), "short_id": _l("Short id"), "status": _l("Status"),
            "owned_by": _l("Owner"), "created_at": _l("Created"), "last_updated_at": _l("Last updated"),
            "unique_id": _l("Row id"), "removed_fields": _l("Removed fields"), "about": _l("About this export"),
            "record_state": _l("Record state"), "case_id_display": _l("Linked case")}


def create_export(db: Database, config: Configuration, actor: records.Actor, params: dict[str, Any],
                  settings: ExportSettings) -> dict[str, Any]:
    """Queue an export after checking the permission, the filters and the choice of forms."""
    record_type = RECORD_TYPES[params["record_type"]]
    fmt = params["format"]
    actor.require(record_type, FORMATS[fmt])
    include_disabled = params.get("include_disabled", False)
    if include_disabled:
        _check_may_see_disabled(record_type, actor.principal)
    filters = {name: [_filter_text(name, value)] for name, value in (params.get("filters") or {}).items()}
    records.build_query(config, record_type, filters, settings.max_per_page, actor, action=FORMATS[fmt])
    if not include_disabled:
        _check_state_filter(filters)
    _check_choice(config, record_type, actor, params)
    identifying, partner = identifying_choice(db, record_type, actor.principal, params)
    locale = params.get("locale") or settings.default_language
    if locale not in settings.languages:
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/locale", Rule.LOCALE)])
    job = {"_id": str(uuid.uuid4()), "user_name": actor.user_name, "record_type": record_type.name, "format": fmt,
           "filters": {k: v[0] for k, v in filters.items()}, "form_ids": params.get("form_ids"),
           "field_names": params.get("field_names"), "locale": locale, "codes": params.get("codes", False),
           "include_removed": params.get("include_removed", False), "include_disabled": include_disabled,
           "encrypted": bool(params.get("password")), "identifying": identifying, "partner_agency": partner,
           "status": "queued", "rows_done": 0, "total": None,
           "errors": [], "attempts": 0, "created_at": actor.now, "config_version": config.version,
           "expires_at": actor.now + settings.ttl}
    if params.get("password"):
        job[SEALED] = encryption.seal_password(settings.sealing_key(), job["_id"], params["password"])
    store.insert_job(db, job)
    return job


def may_export_identifying(record_type, principal) -> bool:
    """Whether exports of this principal may hold identifying fields as they are (the operator's may)."""
    return principal is None or principal.can(record_type.name, "export_identifying")


def identifying_choice(db: Database, record_type, principal, params: dict[str, Any]) -> tuple[str, str | None]:
    """What an export does with identifying fields, and the partner agency whose pseudonyms it gives.

    A role without `export_identifying` gets pseudonyms (by default) or nothing, never the values, and only the
    pseudonyms of its own agency: choosing another's would let it link its records with that partner's.
    """
    allowed = may_export_identifying(record_type, principal)
    mode = params.get("identifying") or (pseudonyms.INCLUDE if allowed else pseudonyms.HASH)
    if mode == pseudonyms.INCLUDE and not allowed:
        raise Forbidden(Error.EXPORT_IDENTIFYING_DENIED, details=[
            Detail.of("/identifying", Rule.EXPORT_IDENTIFYING, resource=record_type.name)])
    partner = params.get("partner_agency")
    own = principal.agency if principal is not None else None
    if partner is None or mode != pseudonyms.HASH:
        if partner is not None:
            raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/partner_agency", Rule.PARTNER_NEEDS_HASH)])
        return mode, own if mode == pseudonyms.HASH else None
    if not allowed and partner != own:
        raise Forbidden(Error.EXPORT_IDENTIFYING_DENIED, details=[Detail.of("/partner_agency", Rule.PARTNER_OWN)])
    try:
        accounts.get(db, "agencies", partner)
    except NotFound:
        raise Unprocessable(Error.BODY_INVALID,
                            details=[Detail.of("/partner_agency", Rule.AGENCY_UNKNOWN, id=partner)]) from None
    return mode, partner


def _check_may_see_disabled(record_type, principal) -> None:
    """Refuse include_disabled to a role that may not see disabled records.

    Record lists show disabled records to every role that reads the record type (in its scope), so
    that is the rule here too; asked before anything is looked up.
    """
    if principal is not None and not principal.can(record_type.name, "read"):
        raise Forbidden(Error.DISABLED_RECORDS_DENIED, resource=record_type.label,
                        details=[Detail.of("/include_disabled", Rule.DISABLED_NEED_READ)])


def _check_state_filter(filters: dict[str, list[str]]) -> None:
    """Refuse a record_state filter that asks for disabled records without include_disabled."""
    if any(part != "true" for part in filters.get("record_state", ["true"])[0].split(",")):
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/filters/record_state", Rule.INCLUDE_DISABLED)])


def _filter_text(name: str, value: Any) -> str:
    """A filter value as the list grammar writes it: "a", "a,b" for a list, "a..b" for a range."""
    scalar = (str, int, float, bool)
    if isinstance(value, list) and value and all(isinstance(v, scalar) for v in value):
        return ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in value)
    if isinstance(value, scalar):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise Unprocessable(Error.BODY_INVALID, details=[Detail.of(f"/filters/{name}", Rule.FILTER_VALUE)])


def _check_choice(config: Configuration, record_type, actor: records.Actor, params: dict[str, Any]) -> None:
    readable = records.readable_fields(config, record_type, actor)
    forms = {uid for uid, _ in config.forms_of(record_type.name, nested=False)}
    readable_forms = actor.principal.readable_forms() if actor.principal else None
    details = [Detail.of(f"/form_ids/{i}", Rule.READABLE_FORM)
               for i, uid in enumerate(params.get("form_ids") or [])
               if uid not in forms or (readable_forms is not None and uid not in readable_forms)]
    all_fields = {f["name"] for uid in forms for f in config.forms[uid]["fields"]}
    details += [Detail.of(f"/field_names/{i}", Rule.READABLE_FIELD)
                for i, name in enumerate(params.get("field_names") or [])
                if name not in all_fields or (readable is not None and name not in readable)]
    if params.get("password") is not None and len(params["password"]) < 8:
        details.append(Detail.of("/password", Rule.MIN_LENGTH, limit=8))
    if details:
        raise Unprocessable(Error.BODY_INVALID, details=details)


def present_job(job: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a job (never its password)."""
    total, done = job.get("total"), job.get("rows_done", 0)
    percent = 100 if job["status"] == "complete" else (int(100 * done / total) if total else 0)
    return {"id": job["_id"], "status": job["status"], "record_type": job["record_type"], "format": job["format"],
            "locale": job["locale"], "filters": job["filters"], "include_disabled": job.get("include_disabled", False),
            "rows_done": done, "total": total,
            "percent": percent, "errors": job.get("errors", []), "encrypted": job.get("encrypted", False),
            "identifying": job.get("identifying", pseudonyms.INCLUDE), "partner_agency": job.get("partner_agency"),
            "file_name": job.get("file_name"), "size": job.get("size"), "created_at": job["created_at"],
            "finished_at": job.get("finished_at"), "expires_at": job.get("expires_at")}


def get_job(db: Database, job_id: str, user_name: str) -> dict[str, Any]:
    """Return a job of this user (another user's job is not found)."""
    job = store.find_job(db, job_id)
    if job is None or job["user_name"] != user_name:
        raise NotFound(kind=_l("Export"), id=job_id)
    return job


def check_downloadable(db: Database, config: Configuration, job: dict[str, Any], actor: records.Actor) -> None:
    """Refuse the download of a job its user's current rights would not let them export again, or not complete."""
    _check_still_allowed(db, config, job, actor)
    if job["status"] != "complete":
        raise Unprocessable(Error.EXPORT_NOT_READY, status=job["status"])


def read_file(db: Database, job: dict[str, Any]) -> Iterator[bytes]:
    """The chunks of a complete job's file."""
    return store.read_file(db, job["_id"], job.get("file_attempt"))


def is_job_id(text: str) -> bool:
    """Whether `text` is written as a job id (only such a text is kept in the audit log)."""
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _check_still_allowed(db: Database, config: Configuration, job: dict[str, Any], actor: records.Actor) -> None:
    """Refuse a download the user's current rights would not let them export again."""
    record_type = RECORD_TYPES[job["record_type"]]
    principal = actor.principal
    if principal is None:
        return
    if not (principal.can(record_type.name, FORMATS[job["format"]]) and principal.can(record_type.name, "read")):
        raise Forbidden(Error.EXPORT_NOT_ALLOWED)
    if job.get("identifying", pseudonyms.INCLUDE) == pseudonyms.INCLUDE \
            and not may_export_identifying(record_type, principal):
        raise Forbidden(Error.EXPORT_NOT_ALLOWED)
    made = job.get("access")
    if made is None:  # still running, or made before exports recorded it: nothing to compare yet
        if job["status"] == "complete":
            raise _access_changed()
        return
    visible = records.visible_fields(db, config, record_type, actor)
    if visible is not None and not set(made["fields"]) <= visible:
        raise _access_changed()
    made_scope = {key: made.get(key) for key in ("scope", "agency", "groups")}
    # A record of "self" (owned or associated) is in every scope; "all" holds every record.
    if principal.scope != "all" and made_scope["scope"] != "self" and made_scope != _scope_of(principal):
        raise _access_changed()


def _access_changed() -> Forbidden:
    return Forbidden(Error.EXPORT_ACCESS_CHANGED)


def _scope_of(principal) -> dict[str, Any]:
    return {"scope": principal.scope, "agency": principal.agency, "groups": sorted(principal.groups)}


class Stopped(Exception):
    """The worker running a job is stopping: the job goes back to the queue."""


def run_job(db: Database, job: dict[str, Any], config: Configuration, principal, settings: ExportSettings,
            worker: str | None, progress_callback=None, stopping: Callable[[], bool] | None = None) -> None:
    """Write the job's file and store it; the job ends complete or failed, never stuck.

    `worker` None: the job is run at once (`abri export`), not claimed. `stopping` tells the run that
    its worker stops: the job is given back to the queue, for the next worker to run from the start.
    """
    attempt = job.get("attempts", 0)  # this claim's: each claim writes its own file
    locale = message_locale(job["locale"], settings.default_language)
    try:
        with tempfile.TemporaryDirectory(prefix="abri-export-") as folder, in_locale(locale):
            path, name, access = _write_file(db, job, config, principal, settings, worker, folder, progress_callback,
                                             stopping)
            size = store.store_file(db, job["_id"], path, attempt)
        finished = datetime.now(timezone.utc)
        completed = store.update_job(db, job["_id"], worker, {
            "status": "complete", "file_name": name, "size": size, "file_attempt": attempt, "finished_at": finished,
            "expires_at": finished + settings.ttl, "access": access}, unset=ENDED_UNSET)
        # The holder's file is the job's; a claim that lost the job (its lease expired) keeps nothing.
        store.delete_files(db, job["_id"], attempt, keep=completed)
    except Stopped:
        store.delete_files(db, job["_id"], attempt, keep=False)
        store.release_job(db, job["_id"], worker)
    except Exception as error:  # the job must end failed, whatever happened
        if isinstance(error, AbriError):
            message = error.rendered(locale)  # in the job's language, as the rest of its file
        else:
            log.exception("export %s failed", job["_id"])
            message = _l("The export failed; the error has been logged.").render(locale)
        store.delete_files(db, job["_id"], attempt, keep=False)
        end_failed(db, job, worker, message)


def end_failed(db: Database, job: dict[str, Any], worker: str | None, message: str) -> None:
    """End a job failed with `message` (in its language) and drop its sealed password."""
    store.update_job(db, job["_id"], worker, {"status": "failed", "errors": [message],
                                               "finished_at": datetime.now(timezone.utc)}, unset=ENDED_UNSET)


def failure_text(job: dict[str, Any], error: AbriError, settings: ExportSettings) -> str:
    """An error's message in the language of the job (what its user reads in its errors)."""
    return error.rendered(message_locale(job["locale"], settings.default_language))


def _password(job: dict[str, Any], settings: ExportSettings) -> str | None:
    """The job's password, unsealed (None: the file is not to be encrypted)."""
    if job.get(SEALED):
        password = encryption.open_password(settings.sealing_key(), job["_id"], job[SEALED])
        if password is None:
            raise Unprocessable(Error.EXPORT_KEY_CHANGED)
        return password
    return job.get("password")  # queued before passwords were sealed


def _write_file(db: Database, job: dict[str, Any], config: Configuration, principal, settings: ExportSettings,
                worker: str | None, folder: str, progress_callback, stopping) -> tuple[str, str, dict[str, Any]]:
    """Write the file; return its path, its download name, and what it holds (fields, scope)."""
    password = _password(job, settings)
    record_type = RECORD_TYPES[job["record_type"]]
    include_disabled = job.get("include_disabled", False)
    if include_disabled:  # the role may have changed since the job was queued
        _check_may_see_disabled(record_type, principal)
    mode = job.get("identifying", pseudonyms.INCLUDE)
    if mode == pseudonyms.INCLUDE and not may_export_identifying(record_type, principal):
        raise Forbidden(Error.EXPORT_IDENTIFYING_DENIED)
    actor = records.Actor(job["user_name"], datetime.now(timezone.utc), principal)
    found = readable_records(db, config, record_type, {k: [v] for k, v in job["filters"].items()},
                             settings.max_per_page, actor, None if include_disabled else ENABLED_ONLY,
                             action=FORMATS[job["format"]])
    total, visible = found.total, found.visible
    store.update_job(db, job["_id"], worker, {"total": total, "heartbeat_at": datetime.now(timezone.utc)})
    labels = {key: str(value) for key, value in _labels().items()}
    removed = _removed_fields(config, record_type.name, found) if job.get("include_removed") else []
    sheets = build_layout(config, record_type.name, visible, job.get("form_ids"), job.get("field_names"),
                          job["locale"], settings.default_language, labels, removed, include_disabled)
    masked = _pseudonymiser(db, config, record_type, job) if mode != pseudonyms.INCLUDE else None
    if masked is not None:
        sheets = masked.layout(sheets)
    exported = list(dict.fromkeys(name for sheet in sheets
                                  for name in (sheet.fields if sheet.subform is None else [sheet.subform])))
    progress = _progress(db, job["_id"], worker, total, progress_callback, stopping)
    made_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    path = os.path.join(folder, f"{record_type.route}-{made_at:%Y%m%d-%H%M}.{EXTENSIONS[job['format']]}")
    description = _description(job, config, total, made_at, labels[RECORD_STATE])
    stream = with_file_names(db, iter(found), upload_fields(config, record_type.name, exported))
    if record_type.name == "incident":
        stream = with_linked_cases(db, stream, RECORD_TYPES["case"])
    if masked is not None:
        stream = masked.records(stream)
    if job["format"] == "json":
        present = JsonRecords(db, config, record_type, exported, visible, job["locale"], settings.default_language,
                              job.get("codes", False))
        write_json(path, stream, present, progress, _meta(job, config, made_at))
    else:
        builder = RowBuilder(sheets, config, job["locale"], settings.default_language, job.get("codes", False),
                             (str(_l("Yes")), str(_l("No"))), record_type.display_id,
                             envelope_labels(config, record_type.name, job["locale"], settings.default_language,
                                             job.get("codes", False)))
        if job["format"] == "xlsx":
            write_xlsx(path, sheets, builder, stream, description, labels["about"], progress,
                       _print_texts(job, made_at))
        else:
            write_csv_zip(path, sheets, builder, stream, description, labels["about"], progress)
    access = {"fields": exported, **_scope_of(principal)} if principal else {"fields": exported, "scope": "all"}
    if password:
        return (*encryption.encrypt(path, job["format"], password, folder), access)
    return path, os.path.basename(path), access


def _pseudonymiser(db: Database, config: Configuration, record_type, job: dict[str, Any]) -> pseudonyms.Pseudonymiser:
    """What turns the job's records into their pseudonymised form (its partner's key)."""
    forms = form_fields(config, record_type.name, None)
    key = pseudonyms.partner_key(secrets.deployment_secret(db, pseudonyms.SECRET_NAME), job.get("partner_agency"))
    return pseudonyms.Pseudonymiser(key, job["identifying"], identifying_fields(config, record_type.name),
                                    frozenset(fields_of_forms(config, record_type.name, None)),
                                    frozenset(forms.nested), record_type.display_id)


def _progress(db: Database, job_id: str, worker: str | None, total: int, callback,
              stopping: Callable[[], bool] | None) -> Callable[[int], None]:
    """The function a writer calls after each record: it records progress, stops a cancelled job, and gives the
    job back when its worker stops."""
    def progress(done: int) -> None:
        if stopping is not None and stopping():
            raise Stopped()
        if done % PROGRESS_EVERY == 0 or done == total:
            now = datetime.now(timezone.utc)
            if not store.update_job(db, job_id, worker, {"rows_done": done, "heartbeat_at": now}):
                raise Unprocessable(Error.EXPORT_CANCELLED)
            if callback:
                callback(done, total)
    return progress


def _removed_fields(config: Configuration, record_type: str, found: ReadableRecords) -> list[str]:
    """Names of the data fields, found in the exported records, that the published forms no longer have
    (the records hold only the fields the user may see: see records.access)."""
    known = fields_of_forms(config, record_type, None)
    seen: dict[str, None] = {}
    for record in found:
        for name in record.get("data", {}):
            if name not in known:
                seen[name] = None
    return list(seen)


def _print_texts(job: dict[str, Any], made_at: datetime) -> PrintTexts:
    """The header and footer of each printed page, in the export's language."""
    return PrintTexts(title=str(TITLES[job["record_type"]]), stamp=date_text(made_at),
                      footer=str(_l("Exported by %(user)s")) % {"user": job["user_name"]},
                      page=str(_l("Page %(page)s of %(pages)s")) % {"page": "&P", "pages": "&N"})


def _description(job: dict[str, Any], config: Configuration, total: int, made_at: datetime,
                 state_column: str) -> list[tuple[str, Any]]:
    filters = ", ".join(f"{k}={v}" for k, v in job["filters"].items()) or str(_l("none"))
    disabled = (str(_l("Included, marked in the column %(column)s")) % {"column": state_column}
                if job.get("include_disabled") else str(_l("Left out")))
    identifying = {pseudonyms.INCLUDE: _l("Included as they are"),
                   pseudonyms.DROP: _l("Left out, as are names of files; record ids are pseudonyms"),
                   pseudonyms.HASH: _l("Replaced by pseudonyms for the agency %(agency)s: the same value gives the "
                                       "same pseudonym in every export for this agency, another one for any other "
                                       "agency; record ids are pseudonyms too")}[job.get("identifying", pseudonyms.INCLUDE)]
    return [(str(_l("Exported by")), job["user_name"]),
            (str(_l("Exported at (UTC)")), made_at),
            (str(_l("Record type")), str(RECORD_TYPES[job["record_type"]].label)),
            (str(_l("Filters")), filters),
            (str(_l("Disabled records")), disabled),
            (str(_l("Identifying fields")), str(identifying) % {"agency": job.get("partner_agency") or "-"}
             if job.get("identifying") == pseudonyms.HASH else str(identifying)),
            (str(_l("Configuration version")), config.version),
            (str(_l("Language")), job["locale"]),
            (str(_l("Dates and times")), str(_l("Dates as YYYY-MM-DD; times in UTC, as YYYY-MM-DDThh:mm:ssZ"))),
            (str(_l("Number of records")), total)]


def _meta(job: dict[str, Any], config: Configuration, made_at: datetime) -> dict[str, Any]:
    """What a json export says about itself (the description sheet of the other formats)."""
    return {"exported_by": job["user_name"], "exported_at": date_text(made_at), "record_type": job["record_type"],
            "filters": job["filters"], "include_disabled": job.get("include_disabled", False),
            "include_removed": job.get("include_removed", False), "codes": job.get("codes", False),
            "identifying": job.get("identifying", pseudonyms.INCLUDE), "partner_agency": job.get("partner_agency"),
            "config_version": config.version, "locale": job["locale"]}


def remove_expired(db: Database, now: datetime | None = None) -> int:
    """Delete expired jobs and their files; return how many."""
    expired = store.expired_job_ids(db, now or datetime.now(timezone.utc))
    for job_id in expired:
        store.delete_job(db, job_id)
    return len(expired)


def delete_export(db: Database, job_id: str, user_name: str) -> None:
    """Delete a job of this user and its file."""
    get_job(db, job_id, user_name)
    store.delete_job(db, job_id)
