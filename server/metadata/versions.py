"""Published configuration versions: publish the draft, read, diff, restore, and sync deltas.

Publishing stores the document bodies by content hash, then inserts one version document whose
manifest names them. That single insert is the commit: a reader sees version N+1 whole or not at
all, even if the process dies midway, and two concurrent publishers cannot both take N+1.

What publishing derives is derived from the versions, so a crash after the commit leaves nothing
half-written: the registry of published field types is brought up to the newest version before
any check reads it (update_field_registry), and the record indexes are created by whoever uses a
version (records.service.ensure_indexes at start-up, before every create and every list).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
import uuid
from threading import Lock
from typing import Any, Mapping

from server.messages import _l

from server.errors import Conflict, Error, NotFound, Unprocessable
from server.metadata.checks import ERROR, CheckContext, Problem, run_checks
from server.metadata.configuration import Configuration
from server.metadata.diff import diff_configurations
from server.metadata import usage
from server.metadata.documents import SEPARATOR, content_hash, split_key
from server.storage import Database, DuplicateKey, metadata as store

_CACHE_SIZE = 16
_cache: "OrderedDict[str, Configuration]" = OrderedDict()  # by fingerprint
_newest: "OrderedDict[tuple[int, str], tuple[int, str]]" = OrderedDict()  # by database: the newest version seen
_cache_lock = Lock()


@dataclass(frozen=True)
class LanguageSettings:
    """The deployment's languages; labels must exist in `default`."""

    languages: tuple[str, ...]
    default: str

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> "LanguageSettings":
        """The label languages of the application's settings (LANGUAGES, DEFAULT_LANGUAGE)."""
        return cls(tuple(settings["LANGUAGES"]), settings["DEFAULT_LANGUAGE"])


def current_version(db: Database) -> int:
    """Return the newest published version number (0 before the first publish)."""
    return _newest_ref(db)[0]


def _newest_ref(db: Database) -> tuple[int, str]:
    """(number, fingerprint) of the newest published version, asked of the database every time.

    The one this process saw last makes the question cheap (two ids read, see latest_version_ref); it is
    a hint, never an answer: another process may have published since.
    """
    key = (id(db.client), db.name)
    ref = store.latest_version_ref(db, _newest.get(key))
    with _cache_lock:
        _newest[key] = ref
        _newest.move_to_end(key)
        while len(_newest) > _CACHE_SIZE:
            _newest.popitem(last=False)
    return ref


def published_configuration(db: Database, number: int | None = None) -> Configuration:
    """Return a published version (the newest by default).

    Versions never change, so they are cached by fingerprint: a request costs one small query (which is
    the newest).
    """
    if number is None:
        number, fingerprint = _newest_ref(db)
    else:
        ref = store.get_version(db, number, with_manifest=False) if number else None
        if number and ref is None:
            raise NotFound(kind=_l("Version"), id=number)
        fingerprint = ref["fingerprint"] if ref else ""
    if number == 0:
        return Configuration(version=0)
    with _cache_lock:
        if fingerprint in _cache:
            _cache.move_to_end(fingerprint)
            return _cache[fingerprint]
    version = store.get_version(db, number)
    bodies = store.load_blobs(db, version["documents"].values())
    config = Configuration.from_documents(
        ((*split_key(key), bodies[digest]) for key, digest in version["documents"].items()),
        version=number, fingerprint=fingerprint)
    with _cache_lock:
        _cache[fingerprint] = config
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return config


def check_context(db: Database, published: Configuration, languages: LanguageSettings) -> CheckContext:
    """Gather what the checks compare a configuration with."""
    update_field_registry(db)
    fields = {record_type: store.published_fields(db, record_type) for record_type in ("case", "incident", "tracing_request")}
    return CheckContext(languages.languages, languages.default, published, fields,
                        holds_values=lambda record_type, name: usage.holds_values(db, record_type, name))


def update_field_registry(db: Database) -> None:
    """Add to the registry of published fields the versions it does not hold yet, oldest first."""
    for number in range(store.fields_known_through(db) + 1, current_version(db) + 1):
        store.remember_fields(db, _published_field_rows(published_configuration(db, number)), number)


def checks_failed(problems: list[Problem], error: Error = Error.CHECKS_FAILED) -> Unprocessable:
    """Return the error refusing a change because of failed checks (warnings travel along)."""
    errors = [p for p in problems if p.severity == ERROR]
    return Unprocessable(error, details=[p.as_detail() for p in errors],
                         extra={"warnings": [p.as_json() for p in problems if p.severity != ERROR]},
                         count=len(errors))


def publish_configuration(db: Database, config: Configuration, languages: LanguageSettings, user: str,
                          now: datetime, comment: str = "", restored_from: int | None = None) -> dict[str, Any]:
    """Run every check and, if none fails, write `config` as the next version."""
    published = published_configuration(db)
    problems = run_checks(config, check_context(db, published, languages))
    if any(p.severity == ERROR for p in problems):
        raise checks_failed(problems, Error.PUBLISH_BLOCKED)
    manifest = config.manifest()
    if manifest == published.manifest():
        raise Conflict(Error.NOTHING_TO_PUBLISH)
    store.store_blobs(db, {content_hash(body): (kind, uid, body) for kind, uid, body in config.documents()})
    number = published.version + 1
    changes = diff_configurations(published, config)
    version = {"_id": number, "fingerprint": uuid.uuid4().hex, "published_at": now, "published_by": user, "comment": comment,
               "restored_from": restored_from, "documents": manifest,
               "changes": [{"kind": c["kind"], "unique_id": c["unique_id"], "change": c["change"]}
                           for c in changes]}
    try:
        store.insert_version(db, version)
    except DuplicateKey:
        raise Conflict(Error.PUBLISH_CONFLICT, number=number) from None
    update_field_registry(db)
    return {"version": version_summary(version), "warnings": [p.as_json() for p in problems]}


def _published_field_rows(config: Configuration):
    for record_type in config.record_types():
        for _, form in config.forms_of(record_type, nested=False):
            for field in form["fields"]:
                if field["type"] != SEPARATOR:
                    yield record_type, field["name"], field["type"], bool(field.get("multi_select"))


def version_summary(version: dict[str, Any]) -> dict[str, Any]:
    """Return what the API shows of a version (its manifest only on request)."""
    summary = {"version": version["_id"], "published_at": version["published_at"],
               "published_by": version["published_by"], "comment": version.get("comment", ""),
               "restored_from": version.get("restored_from"), "changes": version.get("changes", [])}
    if "documents" in version:
        summary["documents"] = version["documents"]
    return summary


def get_version(db: Database, number: int) -> dict[str, Any]:
    """Return one version with its manifest."""
    version = store.get_version(db, number)
    if version is None:
        raise NotFound(kind=_l("Version"), id=number)
    return version_summary(version)


def list_versions(db: Database, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """Return a page of versions, newest first, and the total."""
    versions, total = store.list_versions(db, (page - 1) * per_page, per_page)
    return [version_summary(v) for v in versions], total


def diff_versions(db: Database, a: int, b: int) -> list[dict[str, Any]]:
    """Return what changed from version a to version b."""
    return diff_configurations(published_configuration(db, a), published_configuration(db, b))


def changes_since(db: Database, since: int, kind: str) -> tuple[Configuration, list[dict], list[str]]:
    """Return the newest configuration, the ids of `kind` changed after `since`, and deleted ids."""
    newest = published_configuration(db)
    if since < 0 or since > newest.version:
        raise NotFound(kind=_l("Version"), id=since)
    before = published_configuration(db, since).manifest()
    after = newest.manifest()
    prefix = kind + ":"
    changed = [split_key(key)[1] for key, digest in after.items() if key.startswith(prefix) and before.get(key) != digest]
    deleted = [split_key(key)[1] for key in before if key.startswith(prefix) and key not in after]
    return newest, changed, deleted
