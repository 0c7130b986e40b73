"""Export use cases: ask for an export, watch it, download it, remove it; run one at once (`abri export`); and
what the export workers run (claim -> run -> complete or fail; expired exports removed).

Each takes a Context. Asking for an export checks the role's `export_<format>` permission on the record type
before anything is looked up; a user sees, downloads and removes only their own exports (another's is not
found). What is audited, as before: an export asked for ("export"), every download and refused download
("export_download", with the status and the error code; the job id only when it is written as one). The
file holds what the record engine lets its user read (server.export.jobs, server.records.reading).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterator

from server.auth import principal_for_user
from server.errors import AbriError, Forbidden, NotFound
from server.export import jobs
from server.export.jobs import ExportSettings, export_settings
from server.records.types import RECORD_TYPES
from server.services.audit import audit
from server.services.context import Context
from server.services.permission import require_signed_in
from server.services.records import actor_of
from server.storage import exports as store

ABANDONED = "The export stopped repeatedly."  # the error of a job claimed too often without finishing

Progress = Callable[[int, int], None]  # (records done, records in all)


def settings_of(ctx: Context) -> ExportSettings:
    """The export settings of the caller's application."""
    return export_settings(ctx.settings)


def create_export(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Queue an export of the caller (params: record_type, format, filters, form_ids, field_names, locale, codes,
    include_removed, include_disabled, password); return the job as its user sees it."""
    actor = actor_of(ctx)
    actor.require(RECORD_TYPES[params["record_type"]], jobs.FORMATS[params["format"]])  # before any lookup
    job = jobs.create_export(ctx.db, ctx.config, actor, params, settings_of(ctx))
    audit(ctx, "export", job["record_type"], job["_id"], detail=job["format"])
    return jobs.present_job(job)


def list_exports(ctx: Context, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the caller's own exports, newest first, and how many there are."""
    require_signed_in(ctx)
    items, total = store.list_jobs(ctx.db, ctx.user_name, (page - 1) * per_page, per_page)
    return [jobs.present_job(job) for job in items], total


def read_export(ctx: Context, job_id: str) -> dict[str, Any]:
    """One of the caller's exports: status, rows done and total, errors."""
    require_signed_in(ctx)
    return jobs.present_job(jobs.get_job(ctx.db, job_id, ctx.user_name))


def delete_export(ctx: Context, job_id: str) -> None:
    """Remove one of the caller's exports and its file (a running one stops at its next progress)."""
    require_signed_in(ctx)
    jobs.delete_export(ctx.db, job_id, ctx.user_name)


def download_export(ctx: Context, job_id: str) -> tuple[dict[str, Any], Iterator[bytes]]:
    """The caller's complete export and its file's chunks, if their current rights still cover what it holds.

    Downloads and refusals are audited (who, which export, the status; never content).
    """
    require_signed_in(ctx)
    known_id = job_id if jobs.is_job_id(job_id) else None
    try:
        job = jobs.get_job(ctx.db, job_id, ctx.user_name)
    except NotFound as error:
        audit(ctx, "export_download", "export", known_id, status=404, detail=error.code)
        raise
    try:
        jobs.check_downloadable(ctx.db, ctx.config, job, actor_of(ctx))
    except Forbidden as error:
        audit(ctx, "export_download", job["record_type"], known_id, status=403, detail=error.code)
        raise
    audit(ctx, "export_download", job["record_type"], known_id, status=200)
    return jobs.present_job(job), jobs.read_file(ctx.db, job)


def export_now(ctx: Context, params: dict[str, Any], save: Callable[[Iterator[bytes]], None],
               progress: Progress | None = None) -> dict[str, Any]:
    """Run an export of the caller at once and `save` its file's chunks, if it completes (the command line);
    nothing is kept.

    Return the finished job as its user would see it: complete (audited as an export), or failed with its errors.
    """
    actor = actor_of(ctx)
    actor.require(RECORD_TYPES[params["record_type"]], jobs.FORMATS[params["format"]])  # before any lookup
    settings = settings_of(ctx)
    job = jobs.create_export(ctx.db, ctx.config, actor, params, settings)
    try:
        jobs.run_job(ctx.db, job, ctx.config, ctx.principal, settings, None, progress)
        finished = store.find_job(ctx.db, job["_id"])
        if finished["status"] == "complete":
            save(jobs.read_file(ctx.db, finished))
    finally:
        store.delete_job(ctx.db, job["_id"])
    if finished["status"] == "complete":
        audit(ctx, "export", job["record_type"], job["_id"], detail=job["format"])
    return jobs.present_job(finished)


def _require_operator(ctx: Context) -> None:
    if not ctx.is_operator:
        raise Forbidden()


def run_next_export(ctx: Context, worker: str, stop: threading.Event | None = None) -> dict[str, Any] | None:
    """What a worker runs: claim the next export and run it as its user, with the rights they hold now.

    Return the job as it ended, or None when there was none to run. Jobs claimed too often without finishing
    end failed first; a job that expired while it waited is never run. When `stop` is set during the run, the
    job goes back to the queue for the next worker. Only the machine runs the queue (an operator context).
    """
    _require_operator(ctx)
    settings = settings_of(ctx)
    store.fail_abandoned_jobs(ctx.db, ctx.now, settings.lease, settings.max_attempts, ABANDONED)
    job = store.claim_job(ctx.db, worker, ctx.now, settings.lease, settings.max_attempts)
    if job is None:
        return None
    try:
        principal = principal_for_user(ctx.db, job["user_name"])
    except AbriError as error:  # a user disabled or removed since: the job ends failed, never stuck
        jobs.end_failed(ctx.db, job, worker, jobs.failure_text(job, error, settings))
    else:
        jobs.run_job(ctx.db, job, ctx.config, principal, settings, worker, stopping=stop.is_set if stop else None)
    return store.find_job(ctx.db, job["_id"])


def remove_expired_exports(ctx: Context) -> int:
    """Delete the exports that expired (at the context's moment) and their files; return how many."""
    _require_operator(ctx)
    return jobs.remove_expired(ctx.db, ctx.now)
