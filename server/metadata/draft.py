"""The draft administrators edit: documents, fields and lookup values, then publish or restore.

Every write is checked twice: the document's shape against its meta-schema, then the whole draft
with the change against the configuration checks. A write that would add a check error is refused
whole (nothing is stored); errors that were already in the draft do not block unrelated edits.
Who may make a change is not known here: the use cases (server.services) pass a `check_change`
that sees each change (a role's rights rules, for the editor) and a `check_publication` that sees
what a publish or restore would make live (the same rules, for the user who publishes).
"""
from __future__ import annotations

import contextlib
import copy
import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from server.messages import _l

from server.errors import BadRequest, Conflict, Detail, Error, Forbidden, NotFound, PreconditionFailed, Unprocessable
from server.metadata.checks import ERROR, run_checks
from server.metadata.configuration import Configuration
from server.metadata.diff import diff_configurations
from server.metadata.documents import FORM, LOOKUP, RECORD_TYPES, validate_document
from server.metadata.labels import non_translation_changes
from server.metadata.usage import count_uses, value_paths
from server.metadata.versions import (LanguageSettings, check_context, checks_failed,
                                      publish_configuration, published_configuration)
from server.rules import Rule
from server.storage import Database, DuplicateKey, StorageUnavailable, leases, metadata as store

KIND_NAMES = {FORM: _l("Form"), LOOKUP: _l("Lookup"), "module": _l("Module"), "role": _l("Role"),
              "location": _l("Location hierarchy"), "report": _l("Report")}
_WRITE_ATTEMPTS = 5
# How long a change holds the configuration without renewing it: one interrupted by a crash frees it after this.
CHANGE_LEASE = timedelta(seconds=60)
_log = logging.getLogger(__name__)
# check_change(kind, unique_id, before, after): raise to refuse a change (None: the document is absent).
ChangeCheck = Callable[[str, str, "dict | None", "dict | None"], None]
# check_publication(published, target): raise to refuse making `target` the published configuration.
PublicationCheck = Callable[[Configuration, Configuration], None]


def draft_configuration(db: Database) -> Configuration:
    """Return the draft as a configuration."""
    return Configuration.from_documents((e["kind"], e["unique_id"], e["body"]) for e in store.list_draft(db))


def get_document(db: Database, kind: str, unique_id: str) -> dict[str, Any]:
    """Return a draft entry ({body, revision, ...}); NotFound when it is not in the draft."""
    entry = store.get_draft(db, kind, unique_id)
    if entry is None:
        raise NotFound(kind=KIND_NAMES[kind], id=unique_id)
    return entry


def _refuse_new_errors(db: Database, before: Configuration, after: Configuration,
                       languages: LanguageSettings) -> None:
    """Refuse a change that adds check errors the draft did not already have."""
    ctx = check_context(db, published_configuration(db), languages)
    known = {(p.code, p.document, p.path) for p in run_checks(before, ctx) if p.severity == ERROR}
    problems = run_checks(after, ctx)
    new = [p for p in problems if p.severity == ERROR and (p.code, p.document, p.path) not in known]
    if new:
        raise checks_failed(new, Error.CHANGE_FAILS_CHECKS)


def create_document(db: Database, kind: str, body: Any, languages: LanguageSettings,
                    user: str, now: datetime, check_change: ChangeCheck | None = None) -> dict[str, Any]:
    """Add a new document to the draft."""
    validate_document(kind, body)
    before = draft_configuration(db)
    if before.get(kind, body["unique_id"]) is not None:
        raise _exists(kind, body["unique_id"])
    if check_change:
        check_change(kind, body["unique_id"], None, body)
    after = copy.deepcopy(before)
    after.documents_by_kind[kind][body["unique_id"]] = body
    _refuse_new_errors(db, before, after, languages)
    try:
        return store.insert_draft(db, kind, body["unique_id"], body, user, now)
    except DuplicateKey:
        raise _exists(kind, body["unique_id"]) from None


def _exists(kind: str, unique_id: str) -> Conflict:
    return Conflict(Error.ALREADY_EXISTS, details=[Detail.of("unique_id", Rule.ID_USED)], kind=KIND_NAMES[kind],
                    id=unique_id)


def modify_document(db: Database, kind: str, unique_id: str, change: Callable[[dict], dict],
                    expected_revision: int | None, languages: LanguageSettings,
                    user: str, now: datetime, translations_only: bool = False,
                    check_change: ChangeCheck | None = None) -> dict[str, Any]:
    """Apply `change` to a copy of a draft document and store it if it still passes.

    With `expected_revision` (If-Match) a stale revision is refused with 412. Without it the
    change is re-applied to the newest revision, so concurrent edits are never lost.
    `translations_only` (translators) refuses anything but labels, order and visibility.
    `check_change` sees every attempt; the last one it saw is the change stored.
    """
    for _ in range(_WRITE_ATTEMPTS):
        entry = get_document(db, kind, unique_id)
        if expected_revision is not None and entry["revision"] != expected_revision:
            raise PreconditionFailed(kind=KIND_NAMES[kind], id=unique_id, current=entry["revision"],
                                     sent=expected_revision)
        body = change(copy.deepcopy(entry["body"]))
        if body.get("unique_id") != unique_id:
            raise Unprocessable(Error.UNIQUE_ID_CHANGED,
                                details=[Detail.of("unique_id", Rule.IMMUTABLE, id=unique_id)])
        validate_document(kind, body)
        if translations_only:
            _refuse_beyond_translations(kind, entry["body"], body)
        if check_change:
            check_change(kind, unique_id, entry["body"], body)
        before = draft_configuration(db)
        after = copy.deepcopy(before)
        after.documents_by_kind[kind][unique_id] = body
        _refuse_new_errors(db, before, after, languages)
        stored = store.replace_draft(db, kind, unique_id, body, entry["revision"], user, now)
        if stored is not None:
            return stored
    current = get_document(db, kind, unique_id)["revision"]
    raise PreconditionFailed(kind=KIND_NAMES[kind], id=unique_id, current=current,
                             sent=expected_revision if expected_revision is not None else current)


def move_field(db: Database, source: str, target: str, name: str, position: int | None,
               expected_revision: int | None, languages: LanguageSettings, user: str, now: datetime) -> dict[str, Any]:
    """Move a field from one draft form to another of the same record type (and nesting), at `position` of the
    target (its end by default); answer the target's draft entry.

    Both forms are checked together (the field is never in both, nor in neither), then written one after the
    other, each at the revision read: a form changed meanwhile is refused (412), and when the second write meets
    such a change the first is undone, so the draft is never left with the field twice or lost.
    """
    from_entry, to_entry = get_document(db, FORM, source), get_document(db, FORM, target)
    if expected_revision is not None and from_entry["revision"] != expected_revision:
        raise PreconditionFailed(kind=KIND_NAMES[FORM], id=source, current=from_entry["revision"],
                                 sent=expected_revision)
    old_from, old_to = from_entry["body"], to_entry["body"]
    if source == target or (old_from.get("parent_form"), bool(old_from.get("is_nested"))) != (
            old_to.get("parent_form"), bool(old_to.get("is_nested"))):
        raise Unprocessable(Error.DOCUMENT_INVALID, details=[Detail.of("form", Rule.MOVE_TARGET)],
                            kind=KIND_NAMES[FORM])
    new_from = copy.deepcopy(old_from)
    index = next((i for i, field in enumerate(new_from["fields"]) if field["name"] == name), None)
    if index is None:
        raise NotFound(kind=_l("Field"), id=name)
    field = new_from["fields"].pop(index)
    new_to = copy.deepcopy(old_to)
    at = len(new_to["fields"]) if position is None else max(0, min(position, len(new_to["fields"])))
    new_to["fields"].insert(at, field)
    with one_change_at_a_time(db):  # a publish never sees the field in both forms or in neither
        before = draft_configuration(db)
        after = copy.deepcopy(before)
        after.documents_by_kind[FORM][source], after.documents_by_kind[FORM][target] = new_from, new_to
        _refuse_new_errors(db, before, after, languages)
        if store.replace_draft(db, FORM, source, new_from, from_entry["revision"], user, now) is None:
            raise PreconditionFailed(kind=KIND_NAMES[FORM], id=source,
                                     current=get_document(db, FORM, source)["revision"], sent=from_entry["revision"])
        stored = store.replace_draft(db, FORM, target, new_to, to_entry["revision"], user, now)
        if stored is None:  # the target changed meanwhile: put the field back where it was
            store.replace_draft(db, FORM, source, old_from, from_entry["revision"] + 1, user, now)
            raise PreconditionFailed(kind=KIND_NAMES[FORM], id=target,
                                     current=get_document(db, FORM, target)["revision"], sent=to_entry["revision"])
        return stored


@contextlib.contextmanager
def one_change_at_a_time(db: Database) -> Iterator[None]:
    """Hold the configuration for a change that reads or writes several draft documents, or refuse (409).

    An import, a publish, a restore and a field moved between forms each take it, so that none sees half of
    another (a publish of a half-imported draft, two imports mixed). Another is refused at once rather than
    kept waiting: what it was about to publish or replace may no longer be what its administrator saw.
    The hold is a lease that a thread renews while the change runs: a process killed mid-change holds it no
    longer than CHANGE_LEASE, and not at all for a process of this machine, which sees that it is dead.
    """
    holder = leases.holder_name()
    now = datetime.now(timezone.utc)
    if not store.claim_change(db, holder, now, now + CHANGE_LEASE):
        held_by = store.change_holder(db)  # taken over at once if it is a dead process of this machine
        if not leases.dead_here(held_by) or not store.claim_change(db, holder, now, now + CHANGE_LEASE,
                                                                   replacing=held_by):
            raise Conflict(Error.CONFIGURATION_BUSY, seconds=int(CHANGE_LEASE.total_seconds()))
    done = threading.Event()
    renewer = threading.Thread(target=_renew_change, args=(db, holder, done), name="abri-configuration-lease",
                               daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()
        store.release_change(db, holder)


def _renew_change(db: Database, holder: str, done: threading.Event) -> None:
    """Extend the lease every third of it until the change is done."""
    while not done.wait(CHANGE_LEASE.total_seconds() / 3):
        now = datetime.now(timezone.utc)
        try:
            if not store.claim_change(db, holder, now, now + CHANGE_LEASE):
                _log.warning("a configuration change held the configuration longer than its lease; another took it")
                return
        except StorageUnavailable:  # the change itself meets the same database and answers 503
            _log.warning("the lease of a configuration change could not be renewed: the database is unreachable")


def lock_change(kind: str, before: dict | None, after: dict | None) -> str | None:
    """Say whether a change locks ("locked") or unlocks ("unlocked") a lookup: a lock protects the values records
    rely on."""
    if kind != LOOKUP or before is None or after is None or bool(before.get("locked")) == bool(after.get("locked")):
        return None
    return "locked" if after.get("locked") else "unlocked"


def _refuse_beyond_translations(kind: str, before: dict, after: dict) -> None:
    changed = non_translation_changes(kind, before, after)
    if changed:
        raise Forbidden(Error.TRANSLATIONS_ONLY, details=[Detail.of(path, Rule.MANAGE_METADATA) for path in changed])


def delete_document(db: Database, kind: str, unique_id: str, expected_revision: int | None,
                    languages: LanguageSettings, check_change: ChangeCheck | None = None) -> None:
    """Remove a document from the draft; refused while other documents use it."""
    entry = get_document(db, kind, unique_id)
    if expected_revision is not None and entry["revision"] != expected_revision:
        raise PreconditionFailed(kind=KIND_NAMES[kind], id=unique_id, current=entry["revision"], sent=expected_revision)
    if check_change:
        check_change(kind, unique_id, entry["body"], None)
    before = draft_configuration(db)
    users = list(_users_of(before, kind, unique_id))
    if users:
        raise Conflict(Error.IN_USE,
                       details=[Detail.of(f"form:{form}/{field}", Rule.USES, id=unique_id)
                                for form, field in users],
                       kind=KIND_NAMES[kind], id=unique_id, count=len(users))
    after = copy.deepcopy(before)
    del after.documents_by_kind[kind][unique_id]
    _refuse_new_errors(db, before, after, languages)
    if not store.delete_draft(db, kind, unique_id, entry["revision"]):
        raise PreconditionFailed(kind=KIND_NAMES[kind], id=unique_id, current="?", sent=entry["revision"])


def _users_of(config: Configuration, kind: str, unique_id: str):
    """Yield (form, field) pairs that reference a lookup or a nested form."""
    for form_id, form in config.forms.items():
        for field in form["fields"]:
            if kind == LOOKUP and field.get("option_strings_source") == f"lookup {unique_id}":
                yield form_id, field["name"]
            if kind == FORM and field.get("subform_section_id") == unique_id:
                yield form_id, field["name"]


# Values that are replaced whole by a patch: merging two expressions would make a third one.
ATOMIC_KEYS = frozenset({"display_conditions", "calculation", "module_options", "field_map"})


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces.

    Expressions (ATOMIC_KEYS) are objects but are replaced whole.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif key in ATOMIC_KEYS:
            result[key] = copy.deepcopy(value)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def draft_status(db: Database, languages: LanguageSettings) -> dict[str, Any]:
    """Return the draft's changes against the published version and its check results."""
    published = published_configuration(db)
    draft = draft_configuration(db)
    problems = run_checks(draft, check_context(db, published, languages))
    return {"published_version": published.version,
            "changes": diff_configurations(published, draft),
            "errors": [p.as_json() for p in problems if p.severity == ERROR],
            "warnings": [p.as_json() for p in problems if p.severity != ERROR],
            "can_publish": not any(p.severity == ERROR for p in problems)}


def publish_draft(db: Database, languages: LanguageSettings, user: str, now: datetime,
                  comment: str = "", check_publication: PublicationCheck | None = None) -> dict[str, Any]:
    """Publish the draft as the next version (`check_publication` sees it first)."""
    with one_change_at_a_time(db):
        draft = draft_configuration(db)
        if check_publication:
            check_publication(published_configuration(db), draft)
        refuse_removing_used_values(db, published_configuration(db), draft)
        return publish_configuration(db, draft, languages, user, now, comment)


def refuse_removing_used_values(db: Database, published: Configuration, draft: Configuration) -> None:
    """Refuse to publish lookups without values that records hold in fields the draft still has.

    Such records could no longer be saved (their value is not an option any more): the value is
    disabled instead, so records keep it and new records cannot choose it. Data of fields removed
    from the forms are not checked again, so they do not count.
    """
    details = []
    for uid, before in sorted(published.lookups.items()):
        now = draft.lookups.get(uid, {"lookup_values_i18n": []})
        gone = {v["id"] for v in before["lookup_values_i18n"]} - {v["id"] for v in now["lookup_values_i18n"]}
        if not gone:
            continue
        source = f"lookup {uid}"
        uses = count_uses(db, value_paths([draft], lambda field: field.get("option_strings_source") == source), gone)
        details += [Detail.of(f"lookup:{uid}/lookup_values_i18n/{value}", Rule.VALUE_IN_USE, value=value,
                              total=sum(counts.values()),
                              **{record_type: counts[record_type] for record_type in RECORD_TYPES})
                    for value, counts in sorted(uses.items())]
    if details:
        raise Conflict(Error.LOOKUP_VALUES_IN_USE, details=details, count=len(details))


def has_pending_changes(db: Database) -> bool:
    """Tell whether the draft differs from the published version."""
    return draft_configuration(db).manifest() != published_configuration(db).manifest()


def replace_draft(db: Database, documents: list[tuple[str, str, dict]], user: str, now: datetime,
                  force: bool = False) -> None:
    """Make the draft exactly `documents` (a loaded folder); refuses to drop pending edits unless forced."""
    with one_change_at_a_time(db):
        if not force and has_pending_changes(db) and published_configuration(db).version:
            raise Conflict(Error.DRAFT_NOT_EMPTY)
        store.reset_draft(db, documents, user, now)


def restore_version(db: Database, number: int, languages: LanguageSettings, user: str, now: datetime,
                    comment: str = "", discard_draft: bool = False,
                    check_publication: PublicationCheck | None = None) -> dict[str, Any]:
    """Publish an old version again as a new version, and make it the draft (`check_publication` sees it first)."""
    with one_change_at_a_time(db):
        if has_pending_changes(db) and not discard_draft:
            raise Conflict(Error.DRAFT_NOT_EMPTY_RESTORE)
        old = published_configuration(db, number)
        if check_publication:
            check_publication(published_configuration(db), old)
        result = publish_configuration(db, old, languages, user, now,
                                       comment or f"restore of version {number}", restored_from=number)
        store.reset_draft(db, list(old.documents()), user, now)
        return result


def positive_revision(value: str | None) -> int | None:
    """Parse an If-Match header ("3" or "\\"3\\"") into a revision."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit() and len(text) <= 18):  # "²" is a digit; MongoDB stores 64 bits
        raise BadRequest(Error.IF_MATCH_INVALID, details=[Detail.of("If-Match", Rule.TYPE_INTEGER)])
    return int(text)
