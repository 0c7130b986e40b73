"""Files attached to records: the photos, documents and recordings of the forms' upload fields.

A record's upload field holds the ids of its files (`data[field]`, a list of uuids); the bytes and their descriptors
are in GridFS (server/storage/attachments.py). The ids change only here, each change a record write
(service.write_change: revision, history, sync sequence), never through a record PATCH or a sync push, which refuse
them (`attachments_only`): so no write can point a record at a file it was not given, or at another record's.

Who may do what is the rule of record fields: attaching and deleting need `write` on the record type, the record
in scope and the field writable by the role; listing and downloading need `read`, the record in scope and the field
one the role may see. Permissions come before any lookup; a file not held by a field the actor may see is not
found, exactly like a file that does not exist.

An upload is checked before it is stored: the field's room (max_files), its size (max_size_mb, capped by the
deployment's ATTACHMENT_MAX_MB, and refused from the declared body length before anything is read), the real type of
its bytes (server/records/media.py), whose metadata are stripped. If the record write then fails, the bytes are
deleted; files a dead process left behind are never served, and are deleted by the next change of that field.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Iterable, Iterator

from server.errors import (Conflict, Detail, Error, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed,
                           Unprocessable, UnsupportedMediaType)
from server.messages import _l
from server.metadata.configuration import Configuration
from server.metadata.field_types import FILES, MAX_FILES, UUID_PATTERN, type_of
from server.metadata.workflow import REOPENED
from server.records import media, service
from server.records.access import readable_fields, visible_fields, writable_fields, write_refusals
from server.records.actor import Actor
from server.records.types import RecordType
from server.records.validation import form_fields
from server.rules import Rule
from server.storage import Database, attachments as store

MB = 1024 * 1024
FORM_SLACK = 64 * 1024  # bytes a multipart body holds besides its file (boundaries, part headers)
STALE_AFTER = timedelta(hours=1)  # a stored file no record names, older than this, was left by a failed write
NAME_LIMIT = 200  # characters of a file name (with its extension)
ATTACHMENT = _l("Attachment")
# Characters a name must not hold: controls, direction marks and overrides, invisible ones, unpaired surrogates (what
# undecodable bytes become).
_NOT_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff"
                        "\ufff9-\ufffb]")
_ID = re.compile(UUID_PATTERN.removeprefix("^"))
DESCRIPTOR_KEYS = ("id", "field", "file_name", "content_type", "size", "sha256", "uploaded_at", "uploaded_by")


@dataclass(frozen=True)
class Incoming:
    """A file on its way in: the request body's declared length (None: not said) and how to receive the file.

    `receive(limit)` returns the name the client gave (or None) and the file's bytes, at most limit + 1 of them; it
    raises PayloadTooLarge when the body is larger than limit plus FORM_SLACK, and Unprocessable when there is no file.
    """

    declared_length: int | None
    receive: Callable[[int], tuple[str | None, bytes]]


@dataclass(frozen=True)
class FileField:
    """An upload field as an upload sees it: its name, the media types it takes, its limits."""

    name: str
    media_types: tuple[str, ...]
    max_mb: float
    max_files: int

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * MB)


@dataclass(frozen=True)
class Download:
    """A file a reader may have: its descriptor and its bytes, one block at a time."""

    descriptor: dict[str, Any]
    blocks: Iterator[bytes]


def attach_file(db: Database, config: Configuration, record_type: RecordType, record_id: str, field_name: str,
                incoming: Incoming, expected_revision: int | None, actor: Actor,
                cap_mb: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Attach a file to a record's upload field; return (the record, the file's descriptor)."""
    actor.require(record_type, "write")
    forbidden, _ = write_refusals(config, record_type, actor, [field_name])
    if forbidden:  # a field the role reads but may not write: refused before the record is looked up
        raise _field_forbidden(field_name)
    record = service.get_record(db, record_type, record_id, actor, "write")
    service.check_enabled(record, record_type)
    target = file_field(config, record_type, record, field_name, actor, cap_mb)
    if expected_revision is not None and record["revision"] != expected_revision:
        raise PreconditionFailed(kind=record_type.label, id=record_id, current=record["revision"],
                                 sent=expected_revision)
    _check_room(record, target)
    data, sent_name = _received(incoming, target)
    content_type = media.sniff(data)
    if content_type not in target.media_types:
        raise UnsupportedMediaType(Error.ATTACHMENT_TYPE_REFUSED, field=target.name,
                                   allowed=", ".join(target.media_types), found=content_type or _l("unknown"))
    try:
        data = media.strip(data, content_type)
    except media.Damaged:
        raise Unprocessable(Error.ATTACHMENT_DAMAGED, type=content_type) from None
    descriptor = {"id": str(uuid.uuid4()), "field": target.name, "file_name": safe_file_name(sent_name, content_type),
                  "content_type": content_type, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                  "uploaded_at": actor.now, "uploaded_by": actor.user_name}
    store.put_file(db, descriptor["id"], data, descriptor["file_name"], _metadata(record_type, record, descriptor,
                                                                                   actor))
    try:
        updated = service.write_change(db, config, record_type, record["_id"], expected_revision, "write", actor,
                                       "attach", _adding(record_type, target, descriptor))
    except BaseException:
        store.delete_file(db, descriptor["id"])  # the record does not name it: nothing may keep it
        raise
    _sweep(db, updated, target.name, actor)
    return updated, descriptor


def _received(incoming: Incoming, target: FileField) -> tuple[bytes, str | None]:
    """The file's bytes and name, refused as too large from its declared length before anything is read."""
    too_large = PayloadTooLarge(Error.ATTACHMENT_TOO_LARGE, field=target.name, limit=target.max_mb)
    if incoming.declared_length is not None and incoming.declared_length > target.max_bytes + FORM_SLACK:
        raise too_large
    try:
        sent_name, data = incoming.receive(target.max_bytes)
    except PayloadTooLarge:
        raise too_large from None
    if len(data) > target.max_bytes:
        raise too_large
    return data, sent_name


def _check_room(record: dict[str, Any], target: FileField) -> None:
    held = record["data"].get(target.name)
    if isinstance(held, list) and len(held) >= target.max_files:
        raise Conflict(Error.ATTACHMENTS_FULL, field=target.name, limit=target.max_files)


def _adding(record_type: RecordType, target: FileField, descriptor: dict[str, Any]):
    """The record change that adds a file's id to its field (checked again on the record as it is then)."""
    def build(record: dict[str, Any]):
        service.check_enabled(record, record_type)
        _check_room(record, target)
        before = record["data"].get(target.name)
        after = [*(before if isinstance(before, list) else []), descriptor["id"]]
        changes: dict[str, Any] = {f"data.{target.name}": after}
        if record.get(REOPENED):  # a reopened case is "reopened" until its data next change
            changes[REOPENED] = False
        added = [{"id": descriptor["id"], "file_name": descriptor["file_name"]}]
        return changes, [], {target.name: {"from": before, "to": after, "added": added}}
    return build


def _metadata(record_type: RecordType, record: dict[str, Any], descriptor: dict[str, Any],
              actor: Actor) -> dict[str, Any]:
    stored = {"record_type": record_type.name, "record_id": record["_id"],
              **{key: descriptor[key] for key in DESCRIPTOR_KEYS if key not in ("id", "size")}}
    if actor.device_id:
        stored["device_id"] = actor.device_id
    return stored


def _sweep(db: Database, record: dict[str, Any], field_name: str, actor: Actor) -> None:
    """Delete the files of this field that the record does not name and that no upload may still be writing."""
    held = record["data"].get(field_name)
    store.delete_unreferenced(db, record["_id"], field_name, held if isinstance(held, list) else [],
                              actor.now - STALE_AFTER)


def delete_file(db: Database, config: Configuration, record_type: RecordType, record_id: str, attachment_id: str,
                expected_revision: int | None, actor: Actor) -> tuple[dict[str, Any], dict[str, Any]]:
    """Remove a file from its record's field, then its bytes; return (the record, the file's descriptor)."""
    actor.require(record_type, "write")
    record = service.get_record(db, record_type, record_id, actor, "write")
    attachment_id = _attachment_id(attachment_id)
    found = _held(db, config, record_type, record, attachment_id, actor)
    writable = writable_fields(config, record_type, actor)
    if writable is not None and found["field"] not in writable:
        raise _field_forbidden(found["field"])
    field_name = found["field"]

    def build(current: dict[str, Any]):
        service.check_enabled(current, record_type)
        before = current["data"].get(field_name)
        if not isinstance(before, list) or attachment_id not in before:
            raise NotFound(kind=ATTACHMENT, id=attachment_id)  # deleted meanwhile
        after = [held for held in before if held != attachment_id]
        removed = [{"id": attachment_id, "file_name": found["file_name"]}]
        diff = {field_name: {"from": before, "to": after or None, "removed": removed}}
        if after:
            return {f"data.{field_name}": after}, [], diff
        return {}, [f"data.{field_name}"], diff
    updated = service.write_change(db, config, record_type, record["_id"], expected_revision, "write", actor,
                                   "detach", build)
    if found.get("stored"):
        store.delete_file(db, attachment_id)
    _sweep(db, updated, field_name, actor)
    return updated, found


def list_files(db: Database, config: Configuration, record_type: RecordType, record_id: str,
               actor: Actor) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The record and the descriptors of the files of its fields the actor may see, oldest first."""
    actor.require(record_type, "read")
    record = service.get_record(db, record_type, record_id, actor)
    return record, describe(db, config, record_type, actor, [record]).get(record["_id"], [])


def open_file(db: Database, config: Configuration, record_type: RecordType, record_id: str, attachment_id: str,
              actor: Actor) -> Download:
    """A file of the record held by a field the actor may see, with its bytes (NotFound for any other)."""
    actor.require(record_type, "read")
    record = service.get_record(db, record_type, record_id, actor)
    attachment_id = _attachment_id(attachment_id)
    visible = visible_fields(db, config, record_type, actor)
    stored = store.open_file(db, attachment_id)
    if stored is None or not _belongs(stored.descriptor, record, visible):
        raise NotFound(kind=ATTACHMENT, id=attachment_id)
    return Download(present(stored.descriptor), stored.blocks)


def describe(db: Database, config: Configuration, record_type: RecordType, actor: Actor,
             records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """{record id: descriptors of its files in the fields the actor may see} for records the actor reads (one
    query for them all). Each record's data is the authority: a stored file it does not name is left out."""
    records = [record for record in records if _file_ids(record)]
    if not records:
        return {}
    visible = visible_fields(db, config, record_type, actor)
    by_id = {record["_id"]: record for record in records}
    shown: dict[str, list[dict[str, Any]]] = {}
    for row in store.find_files(db, by_id):
        record = by_id[row["metadata"]["record_id"]]
        if _belongs(row, record, visible):
            shown.setdefault(record["_id"], []).append(present(row))
    return shown


def file_names(db: Database, ids: Iterable[str], record_ids: Iterable[str]) -> dict[str, str]:
    """{file id: its name} of these records' files among `ids` (one query; exports name files so)."""
    return {row["_id"]: row["filename"] for row in store.find_files(db, record_ids, ids)}


def present(row: dict[str, Any]) -> dict[str, Any]:
    """A file's descriptor as clients see it."""
    meta = row.get("metadata") or {}
    return {"id": row["_id"], "field": meta.get("field"), "file_name": row.get("filename"),
            "content_type": meta.get("content_type"), "size": row.get("length"), "sha256": meta.get("sha256"),
            "uploaded_at": meta.get("uploaded_at") or row.get("uploadDate"), "uploaded_by": meta.get("uploaded_by")}


def _belongs(row: dict[str, Any], record: dict[str, Any], visible: set[str] | None) -> bool:
    """Tell whether a stored file is one of the record's, in a field it names it in, which the actor may see."""
    meta = row.get("metadata") or {}
    field_name = meta.get("field")
    held = record["data"].get(field_name) if isinstance(field_name, str) else None
    return (meta.get("record_id") == record["_id"] and (visible is None or field_name in visible)
            and isinstance(held, list) and row["_id"] in held)


def _held(db: Database, config: Configuration, record_type: RecordType, record: dict[str, Any], attachment_id: str,
          actor: Actor) -> dict[str, Any]:
    """The descriptor of a file id the record holds in a field the actor may see (`stored`: its bytes exist).

    An id the field holds without a stored file (data written before files were checked) can still be removed.
    """
    visible = visible_fields(db, config, record_type, actor)
    rows = store.find_files(db, [record["_id"]], [attachment_id])
    if rows and _belongs(rows[0], record, visible):
        return {**present(rows[0]), "stored": True}
    holders = [name for name, value in record["data"].items()
               if (visible is None or name in visible) and isinstance(value, list) and attachment_id in value
               and _is_file_field(config, record_type, record, name)]
    if rows or not holders:
        raise NotFound(kind=ATTACHMENT, id=attachment_id)
    return {"id": attachment_id, "field": holders[0], "file_name": None, "stored": False}


def _is_file_field(config: Configuration, record_type: RecordType, record: dict[str, Any], name: str) -> bool:
    field = form_fields(config, record_type.name, record.get("module_id")).fields.get(name)
    return field is not None and type_of(field).value == FILES


def _file_ids(record: dict[str, Any]) -> bool:
    return any(isinstance(value, list) and value and all(isinstance(item, str) for item in value)
               for value in (record.get("data") or {}).values())


def file_field(config: Configuration, record_type: RecordType, record: dict[str, Any], name: str, actor: Actor,
               cap_mb: int) -> FileField:
    """The upload field `name` of the record's forms that the actor may read (404 naming the others otherwise)."""
    fields = form_fields(config, record_type.name, record.get("module_id")).fields
    readable = readable_fields(config, record_type, actor)
    uploads = [n for n, f in fields.items() if type_of(f).value == FILES and (readable is None or n in readable)]
    if name not in uploads:
        raise NotFound(Error.ATTACHMENT_FIELD_UNKNOWN, field=name, fields=", ".join(uploads) or _l("none"))
    field, kind = fields[name], type_of(fields[name])
    limit_mb = min(field.get("max_size_mb") or kind.max_size_mb or cap_mb, cap_mb)
    return FileField(name, kind.media_types, int(limit_mb) if limit_mb == int(limit_mb) else limit_mb,
                     min(field.get("max_files") or MAX_FILES, MAX_FILES))


def _field_forbidden(name: str) -> Forbidden:
    return Forbidden(Error.FIELDS_FORBIDDEN, fields=name, details=[Detail.of(f"/{name}", Rule.NOT_WRITABLE)])


def _attachment_id(value: str) -> str:
    """A lowercase uuid; NotFound for anything else (nothing of it is looked up)."""
    text = str(value).lower()
    if not _ID.fullmatch(text):
        raise NotFound(kind=ATTACHMENT, id=value)
    return text


def safe_file_name(sent: str | None, content_type: str) -> str:
    """A file name safe to show and to send back in Content-Disposition: no folders, no control or direction
    characters, at most NAME_LIMIT characters, ending with an extension of its real type."""
    text = unicodedata.normalize("NFC", sent or "")
    text = re.split(r"[/\\]", text)[-1]
    text = _NOT_SHOWN.sub("", text).strip().strip(".")
    extensions = media.EXTENSIONS.get(content_type, ("",))
    stem, dot, suffix = text.rpartition(".")
    if dot and f".{suffix.lower()}" in extensions:
        text, extension = stem.rstrip(" ."), f".{suffix.lower()}"
    else:
        extension = extensions[0]
    text = text[:NAME_LIMIT - len(extension)].rstrip(" .") or "file"
    return text + extension
