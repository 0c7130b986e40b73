"""What of a record an actor may see and change: the one field rule every output goes through.

A role reads the fields of the forms it lists (form_section_read_write) and writes those of its
"rw" forms; a role that lists no forms (None) reads and writes everything. Data of a field removed
from the forms stays in the record; a role may see it only if it may read (today) EVERY form that
held that field at the top level in ANY published version. The version history is the authority
rather than the record's config_version, because the data of a removed field survives later writes
that restamp the record with newer versions; and "every form" rather than "the last one" because
the data was written while the field sat in each of those forms, under each form's protection.
A removed field that no published form ever held is seen only by roles that read everything.

A write names fields: one the role reads but may not write is refused as forbidden; one in no form
the role reads is unknown to it, exactly as a name no form has. A role that may not read a form is
not served it (nor its fields in the record schema), so a refusal must not tell it that such a
name exists either: the names of forms a role reads are all a write refusal ever confirms.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.documents import split_key
from server.records.actor import Actor
from server.records.types import RecordType
from server.storage import Database, metadata as metadata_store

# History entries whose changes are envelope fields, and which envelope fields each may show.
_TRANSITION = frozenset({"transitions"})
ENVELOPE_CHANGES = {"assign": frozenset({"owned_by", "owned_by_agency", "associated_user_names"}),
                    "enable": frozenset({"record_state"}), "disable": frozenset({"record_state"}),
                    "mark_for_mobile": frozenset({"marked_for_mobile"}),
                    # case work (server/workflow)
                    "refer": _TRANSITION, "transfer": _TRANSITION,
                    **{f"{kind}_{answer}": _TRANSITION for kind in ("referral", "transfer")
                       for answer in ("accept", "reject", "done", "revoke")},
                    "transfer_accept": _TRANSITION | {"owned_by"},
                    "close": frozenset({"status"}), "reopen": frozenset({"status", "reopen_reason"}),
                    "approval_request": frozenset({"approvals"}), "approval_decision": frozenset({"approvals"}),
                    "flag": frozenset({"flags"}), "unflag": frozenset({"flags"})}
_CACHE_SIZE = 32
_removed_cache: "OrderedDict[tuple, dict[str, frozenset[str]]]" = OrderedDict()
_cache_lock = Lock()


def fields_of_forms(config: Configuration, record_type: str, form_ids: set[str] | None) -> set[str]:
    """Names of the top-level fields of these forms of a record type (None: of every form)."""
    return {field["name"] for uid, form in config.forms_of(record_type, nested=False)
            if form_ids is None or uid in form_ids for field in form["fields"]}


def readable_fields(config: Configuration, record_type: RecordType, actor: Actor) -> set[str] | None:
    """Names of the published fields the actor may read (None: all)."""
    forms = actor.principal.readable_forms() if actor.principal else None
    return None if forms is None else fields_of_forms(config, record_type.name, forms)


def writable_fields(config: Configuration, record_type: RecordType, actor: Actor) -> set[str] | None:
    """Names of the published fields the actor may write (None: all)."""
    forms = actor.principal.writable_forms() if actor.principal else None
    return None if forms is None else fields_of_forms(config, record_type.name, forms)


def write_refusals(config: Configuration, record_type: RecordType, actor: Actor,
                   names: list[str]) -> tuple[list[str], list[str]]:
    """Split the names a write sets that the actor may not write into (forbidden, unknown to the actor)."""
    writable = writable_fields(config, record_type, actor)
    if writable is None:
        return [], []
    readable = readable_fields(config, record_type, actor) or set()
    refused = [name for name in names if name not in writable]
    return [name for name in refused if name in readable], [name for name in refused if name not in readable]


def visible_fields(db: Database, config: Configuration, record_type: RecordType, actor: Actor) -> set[str] | None:
    """Names of the data fields the actor may see in anything that leaves the server (None: all).

    The readable published fields, plus the removed fields whose every past form the actor may read.
    """
    forms = actor.principal.readable_forms() if actor.principal else None
    if forms is None:
        return None
    names = fields_of_forms(config, record_type.name, forms)
    names.update(name for name, holders in removed_field_forms(db, config, record_type.name).items()
                 if holders and holders <= forms)
    return names


def removed_field_forms(db: Database, config: Configuration, record_type: str) -> dict[str, frozenset[str]]:
    """{name: the top-level forms that ever held it} for the fields the published forms no longer have.

    Versions never change, so the answer is cached per newest version (its fingerprint).
    """
    key = (db.name, config.fingerprint, record_type)
    with _cache_lock:
        if config.fingerprint and key in _removed_cache:
            _removed_cache.move_to_end(key)
            return _removed_cache[key]
    current = fields_of_forms(config, record_type, None)
    holders: dict[str, set[str]] = {}
    for name, form_id in _fields_ever_published(db, config.version or 0, record_type):
        if name not in current:
            holders.setdefault(name, set()).add(form_id)
    result = {name: frozenset(forms) for name, forms in holders.items()}
    if config.fingerprint:
        with _cache_lock:
            _removed_cache[key] = result
            while len(_removed_cache) > _CACHE_SIZE:
                _removed_cache.popitem(last=False)
    return result


def _fields_ever_published(db: Database, newest: int, record_type: str):
    """Yield (field name, top-level form id) of every published version up to `newest`."""
    digests: dict[str, str] = {}   # form body hash -> form unique_id
    for number in range(1, newest + 1):
        version = metadata_store.get_version(db, number)
        for key, digest in (version or {}).get("documents", {}).items():
            kind, unique_id = split_key(key)
            if kind == "form":
                digests[digest] = unique_id
    bodies = metadata_store.load_blobs(db, digests)
    for digest, form_id in digests.items():
        form = bodies.get(digest) or {}
        if form.get("parent_form") == record_type and not form.get("is_nested"):
            for field in form.get("fields", []):
                yield field["name"], form_id


def visible_changes(entry: dict[str, Any], visible: set[str] | None) -> dict[str, Any]:
    """The changes of a history entry the actor may see.

    Envelope changes (owner, state) are shown only for the entries that make them, so a form field
    that happens to be named like an envelope field (owned_by, record_state) never passes as one.
    """
    envelope = ENVELOPE_CHANGES.get(entry.get("action"), frozenset())
    changes = entry.get("changes") or {}
    if visible is None:
        return changes
    return {name: change for name, change in changes.items() if name in envelope or name in visible}
