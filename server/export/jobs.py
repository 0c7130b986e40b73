"""Export jobs: ask for one, watch it, download it; the runner that writes the file.

A job remembers who asked and the list arguments, not a query: the runner rebuilds the user's
permissions when it runs, so a user disabled or a role narrowed meanwhile exports nothing more
than they may now see. Temporary files are removed whatever happens; the password is dropped
from the job as soon as the file is encrypted.
"""
from __future__ import annotations

import logging
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from server.errors import AbriError, Detail, NotFound, Unprocessable, render_message
from server.export import encryption
from server.i18n import message_locale
from server.export.layout import build_layout
from server.export.rows import RowBuilder
from server.export.writers import write_csv_zip, write_json, write_xlsx
from server.metadata.configuration import Configuration
from server.records import service as records
from server.records.types import RECORD_TYPES
from server.storage import Database, exports as store

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


def _labels() -> dict[str, Any]:
    return {"display_id": _l("Record id"), "short_id": _l("Short id"), "status": _l("Status"),
            "owned_by": _l("Owner"), "created_at": _l("Created"), "last_updated_at": _l("Last updated"),
            "unique_id": _l("Row id"), "removed_fields": _l("Removed fields"), "about": _l("About this export")}


def create_export(db: Database, config: Configuration, actor: records.Actor, params: dict[str, Any],
                  settings: ExportSettings) -> dict[str, Any]:
    """Queue an export after checking the permission, the filters and the choice of forms."""
    record_type = RECORD_TYPES[params["record_type"]]
    fmt = params["format"]
    filters = {name: [_filter_text(name, value)] for name, value in (params.get("filters") or {}).items()}
    records.build_query(config, record_type, filters, settings.max_per_page, actor, action=FORMATS[fmt])
    _check_choice(config, record_type, actor, params)
    locale = params.get("locale") or settings.default_language
    if locale not in settings.languages:
        raise Unprocessable(code="BODY_INVALID", details=[Detail("/locale", "enum", _l("Not a configured language."))])
    job = {"_id": str(uuid.uuid4()), "user_name": actor.user_name, "record_type": record_type.name, "format": fmt,
           "filters": {k: v[0] for k, v in filters.items()}, "form_ids": params.get("form_ids"),
           "field_names": params.get("field_names"), "locale": locale, "codes": params.get("codes", False),
           "include_removed": params.get("include_removed", False), "password": params.get("password"),
           "encrypted": bool(params.get("password")), "status": "queued", "rows_done": 0, "total": None,
           "errors": [], "attempts": 0, "created_at": actor.now, "config_version": config.version,
           "expires_at": actor.now + settings.ttl}
    store.insert_job(db, job)
    return job


def _filter_text(name: str, value: Any) -> str:
    """A filter value as the list grammar writes it: "a", "a,b" for a list, "a..b" for a range."""
    scalar = (str, int, float, bool)
    if isinstance(value, list) and value and all(isinstance(v, scalar) for v in value):
        return ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in value)
    if isinstance(value, scalar):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise Unprocessable(code="BODY_INVALID", details=[
        Detail(f"/filters/{name}", "type", _l("Must be a value, a list of values, or a range such as 10..15."))])


def _check_choice(config: Configuration, record_type, actor: records.Actor, params: dict[str, Any]) -> None:
    readable = records.readable_fields(config, record_type, actor)
    forms = {uid for uid, _ in config.forms_of(record_type.name, nested=False)}
    readable_forms = actor.principal.readable_forms() if actor.principal else None
    details = [Detail(f"/form_ids/{i}", "enum", _l("Not a form you may read."))
               for i, uid in enumerate(params.get("form_ids") or [])
               if uid not in forms or (readable_forms is not None and uid not in readable_forms)]
    all_fields = {f["name"] for uid in forms for f in config.forms[uid]["fields"]}
    details += [Detail(f"/field_names/{i}", "enum", _l("Not a field you may read."))
                for i, name in enumerate(params.get("field_names") or [])
                if name not in all_fields or (readable is not None and name not in readable)]
    if params.get("password") is not None and len(params["password"]) < 8:
        details.append(Detail("/password", "min_length", _l("Must be at least %(limit)s characters."), {"limit": 8}))
    if details:
        raise Unprocessable(code="BODY_INVALID", details=details)


def present_job(job: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a job (never its password)."""
    total, done = job.get("total"), job.get("rows_done", 0)
    percent = 100 if job["status"] == "complete" else (int(100 * done / total) if total else 0)
    return {"id": job["_id"], "status": job["status"], "record_type": job["record_type"], "format": job["format"],
            "locale": job["locale"], "filters": job["filters"], "rows_done": done, "total": total,
            "percent": percent, "errors": job.get("errors", []), "encrypted": job.get("encrypted", False),
            "file_name": job.get("file_name"), "size": job.get("size"), "created_at": job["created_at"],
            "finished_at": job.get("finished_at"), "expires_at": job.get("expires_at")}


def get_job(db: Database, job_id: str, user_name: str) -> dict[str, Any]:
    """Return a job of this user (another user's job is not found)."""
    job = store.find_job(db, job_id)
    if job is None or job["user_name"] != user_name:
        raise NotFound(kind=_l("Export"), id=job_id)
    return job


def file_chunks(db: Database, job: dict[str, Any]):
    if job["status"] != "complete":
        raise Unprocessable(_l("The export is not ready yet (%(status)s)."), code="EXPORT_NOT_READY",
                            status=job["status"])
    return store.read_file(db, job["_id"])


def run_next_job(db: Database, config_for, principal_for, settings: ExportSettings, worker: str,
                 now: datetime | None = None) -> dict[str, Any] | None:
    """Claim one job and run it; return the finished job, or None when there was nothing to do."""
    now = now or datetime.now(timezone.utc)
    store.fail_abandoned_jobs(db, now, settings.lease, settings.max_attempts, "The export stopped repeatedly.")
    job = store.claim_job(db, worker, now, settings.lease, settings.max_attempts)
    if job is None:
        return None
    run_job(db, job, config_for(db), principal_for(db, job["user_name"]), settings, worker)
    return store.find_job(db, job["_id"])


def run_job(db: Database, job: dict[str, Any], config: Configuration, principal, settings: ExportSettings,
            worker: str | None, progress_callback=None) -> None:
    """Write the job's file and store it; the job ends complete or failed, never stuck."""
    try:
        with tempfile.TemporaryDirectory(prefix="abri-export-") as folder, \
                force_locale(message_locale(job["locale"], settings.default_language)):
            path, name = _write_file(db, job, config, principal, settings, worker, folder, progress_callback)
            size = store.store_file(db, job["_id"], path)
        finished = datetime.now(timezone.utc)
        store.update_job(db, job["_id"], worker, {"status": "complete", "file_name": name, "size": size,
                                                   "finished_at": finished, "expires_at": finished + settings.ttl},
                         unset=("password",))
    except Exception as error:  # the job must end failed, whatever happened
        if isinstance(error, AbriError):
            message = render_message(error.message, error.params)
        else:
            log.exception("export %s failed", job["_id"])
            message = str(_l("The export failed; the error has been logged."))
        store.update_job(db, job["_id"], worker, {"status": "failed", "errors": [message],
                                                   "finished_at": datetime.now(timezone.utc)}, unset=("password",))


def _write_file(db: Database, job: dict[str, Any], config: Configuration, principal, settings: ExportSettings,
                worker: str | None, folder: str, progress_callback) -> tuple[str, str]:
    record_type = RECORD_TYPES[job["record_type"]]
    actor = records.Actor(job["user_name"], datetime.now(timezone.utc), principal)
    query = records.build_query(config, record_type, {k: [v] for k, v in job["filters"].items()},
                                settings.max_per_page, actor, action=FORMATS[job["format"]])
    total = store.count_records(db, record_type.name, query.filter)
    store.update_job(db, job["_id"], worker, {"total": total, "heartbeat_at": datetime.now(timezone.utc)})
    readable = records.readable_fields(config, record_type, actor)
    labels = {key: str(value) for key, value in _labels().items()}
    removed = _removed_fields(db, config, record_type.name, query.filter) if job.get("include_removed") else []
    sheets = build_layout(config, record_type.name, readable, job.get("form_ids"), job.get("field_names"),
                          job["locale"], settings.default_language, labels, removed)
    builder = RowBuilder(sheets, config, job["locale"], settings.default_language, job.get("codes", False),
                         (str(_l("Yes")), str(_l("No"))), record_type.display_id)

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            if not store.update_job(db, job["_id"], worker, {"rows_done": done,
                                                              "heartbeat_at": datetime.now(timezone.utc)}):
                raise Unprocessable(_l("The export was cancelled."), code="EXPORT_CANCELLED")
            if progress_callback:
                progress_callback(done, total)

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    base = f"{record_type.route}-{stamp}"
    path = os.path.join(folder, f"{base}.{EXTENSIONS[job['format']]}")
    description = _description(job, config, total)
    stream = store.stream_records(db, record_type.name, query.filter)
    if job["format"] == "xlsx":
        write_xlsx(path, sheets, builder, stream, description, labels["about"], progress, job["locale"])
    elif job["format"] == "csv":
        write_csv_zip(path, sheets, builder, stream, description, labels["about"], progress)
    else:
        write_json(path, stream, lambda r: records.present(r, record_type, readable=readable), progress)
    if job.get("password"):
        return encryption.encrypt(path, job["format"], job["password"], folder)
    return path, os.path.basename(path)


def _removed_fields(db: Database, config: Configuration, record_type: str, query: dict) -> list[str]:
    """Names of data fields found in the exported records that the published forms no longer have."""
    known = {f["name"] for _, form in config.forms_of(record_type) for f in form["fields"]}
    seen: dict[str, None] = {}
    for record in store.stream_records(db, record_type, query):
        for name in record.get("data", {}):
            if name not in known:
                seen[name] = None
    return list(seen)


def _description(job: dict[str, Any], config: Configuration, total: int) -> list[tuple[str, Any]]:
    filters = ", ".join(f"{k}={v}" for k, v in job["filters"].items()) or str(_l("none"))
    return [(str(_l("Exported by")), job["user_name"]),
            (str(_l("Exported at (UTC)")), datetime.now(timezone.utc).replace(tzinfo=None)),
            (str(_l("Record type")), str(RECORD_TYPES[job["record_type"]].label)),
            (str(_l("Filters")), filters),
            (str(_l("Configuration version")), config.version),
            (str(_l("Language")), job["locale"]),
            (str(_l("Number of records")), total)]


def cleanup_expired(db: Database, now: datetime | None = None) -> int:
    """Delete expired jobs and their files; return how many."""
    expired = store.expired_job_ids(db, now or datetime.now(timezone.utc))
    for job_id in expired:
        store.delete_job(db, job_id)
    return len(expired)


def delete_export(db: Database, job_id: str, user_name: str) -> None:
    get_job(db, job_id, user_name)
    store.delete_job(db, job_id)
