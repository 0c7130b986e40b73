"""Attachment use cases: attach a file to a record's upload field, list a record's files, download one, delete one.

Each checks the permission before anything is looked up (server/records/attachments.py does, through the record
engine) and writes its audit entry: who, which record, which file and field, its size and type, never its name
(a file name may name a child). Every refusal is audited too, with its error code: a 403 or 404 as every record
use case does, and the refusals of an upload (too large, a type the field does not take, a damaged file, a full
field), which tell an administrator what the field apps are trying to send.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from server.errors import AbriError, Forbidden, NotFound
from server.records import attachments
from server.records.types import RecordType, parse_record_id
from server.services.audit import audit
from server.services.context import Context
from server.services.records import actor_of, refusal_audited

Incoming = attachments.Incoming


@dataclass(frozen=True)
class Attached:
    """A file attached or deleted: its descriptor and the record's revision after the change (its ETag)."""

    descriptor: dict[str, Any]
    revision: int


@dataclass(frozen=True)
class Files:
    """The files of a record the caller may see, and the record's revision."""

    items: list[dict[str, Any]]
    revision: int


@contextmanager
def _audited(ctx: Context, action: str, record_type: RecordType, record_id: str) -> Iterator[None]:
    """Audit a refusal of `action` (403 and 404 as every record use case; any other 4xx with its status and code)
    and let it through."""
    with refusal_audited(ctx, action, record_type, record_id):
        try:
            yield
        except (Forbidden, NotFound):
            raise
        except AbriError as error:
            if 400 <= error.status < 500:  # a record was found: its id is valid
                audit(ctx, action, record_type.name, parse_record_id(record_id, record_type), status=error.status,
                      detail=error.code)
            raise


def upload(ctx: Context, record_type: RecordType, record_id: str, field_name: str, incoming: Incoming,
           expected_revision: int | None) -> Attached:
    """Attach the incoming file to the record's upload field `field_name` (its metadata stripped)."""
    actor = actor_of(ctx)
    with _audited(ctx, "attach", record_type, record_id):
        record, descriptor = attachments.attach_file(
            ctx.db, ctx.config, record_type, parse_record_id(record_id, record_type), field_name, incoming,
            expected_revision, actor, ctx.settings["ATTACHMENT_MAX_MB"])
    audit(ctx, "attach", record_type.name, record["_id"], status=201, detail=_detail(descriptor))
    return Attached(descriptor, record["revision"])


def list_files(ctx: Context, record_type: RecordType, record_id: str) -> Files:
    """The files of the record in the fields the caller may see, oldest first."""
    actor = actor_of(ctx)
    with _audited(ctx, "list_attachments", record_type, record_id):
        record, items = attachments.list_files(ctx.db, ctx.config, record_type,
                                               parse_record_id(record_id, record_type), actor)
    audit(ctx, "list_attachments", record_type.name, record["_id"], detail=f"{len(items)} files")
    return Files(items, record["revision"])


def download(ctx: Context, record_type: RecordType, record_id: str, attachment_id: str) -> attachments.Download:
    """A file of the record, in a field the caller may see, with its bytes."""
    actor = actor_of(ctx)
    with _audited(ctx, "download_attachment", record_type, record_id):
        record_id = parse_record_id(record_id, record_type)
        found = attachments.open_file(ctx.db, ctx.config, record_type, record_id, attachment_id, actor)
    audit(ctx, "download_attachment", record_type.name, record_id, detail=_detail(found.descriptor))
    return found


def delete(ctx: Context, record_type: RecordType, record_id: str, attachment_id: str,
           expected_revision: int | None) -> Attached:
    """Remove a file from the record's field, and its bytes."""
    actor = actor_of(ctx)
    with _audited(ctx, "detach", record_type, record_id):
        record, descriptor = attachments.delete_file(ctx.db, ctx.config, record_type,
                                                     parse_record_id(record_id, record_type), attachment_id,
                                                     expected_revision, actor)
    audit(ctx, "detach", record_type.name, record["_id"], detail=_detail(descriptor))
    return Attached({key: descriptor.get(key) for key in attachments.DESCRIPTOR_KEYS}, record["revision"])


def _detail(descriptor: dict[str, Any]) -> str:
    """What the audit log keeps of a file: its id, field, type and size (never its name)."""
    size = descriptor.get("size")
    return " ".join(str(part) for part in (descriptor["id"], descriptor["field"], descriptor.get("content_type"),
                                           f"{size} bytes" if size is not None else None) if part)
