"""The archive of a subject access request: everything Abri holds about one child, in one zip file.

    README.txt                      what the archive is and how to read it, in the requester's language
    manifest.json                   who made it, when, about which case; every record and file it holds
    fields.json                     the name of each field in that language, by record type
    records/<type>-<id>.json        each record (the case, its incidents, the tracing requests that found the child)
    records/<type>-<id>-history.json   every change of that record: who, when, what (oldest first)
    attachments/<type>-<id>/<field>/<file>   the record's files, byte for byte; attachments.json lists them
    audit-log.json                  who read, changed, exported or shared these records, and when
    sync-conflicts.json             values tablets sent that clashed with other changes (when there are any)

Records are named by their short id (the id people read out); dates and times are in UTC (ISO 8601).
"""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field as dc_field
from datetime import datetime
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from server.messages import _l, render
from server.serialization import moment_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NAME_LIMIT = 120

README_LINES = (
    _l("Data that Abri holds about one child"),
    "",
    _l("This archive answers a request for access to personal data. It holds everything Abri keeps about the child "
       "of case %(case)s: the case, the incidents recorded about the child and the tracing requests that found "
       "them, with their whole history, their files, and the log of who used them."),
    _l("Prepared on %(made_at)s (UTC) by %(user)s."),
    "",
    _l("What each file holds:"),
    _l("- manifest.json: who prepared the archive and when, and the list of the records and files it holds."),
    _l("- fields.json: the name of each field, to read the records (they name fields by their code)."),
    _l("- records/: one file per record with all its fields, and one file with its history: every change, who made "
       "it and when, oldest first."),
    _l("- attachments/: the photos, recordings and documents attached to the records, exactly as they were stored; "
       "attachments.json says which record and field each belongs to, with its SHA-256 checksum."),
    _l("- audit-log.json: who read, changed, exported or shared these records, when and from where."),
    _l("- sync-conflicts.json (when present): values sent by tablets that clashed with other changes."),
    "",
    _l("Dates and times are in UTC, written as in 2024-05-31T14:30:00Z. Records are named by their short id."),
)
INCOMPLETE = _l("The role of the person who prepared it does not read every form: the fields of the other forms are "
                "not in this archive.")


@dataclass
class SubjectRecord:
    """One record of the archive: its type, what is shown of it, its history."""

    record_type: str
    record: dict[str, Any]
    history: list[dict[str, Any]]

    @property
    def name(self) -> str:
        return f"{self.record_type}-{_safe(str(self.record.get('short_id') or self.record['id']))}"


@dataclass
class SubjectFile:
    """One stored file: its descriptor (as clients see it), its record, and a reader of its bytes."""

    descriptor: dict[str, Any]
    record: SubjectRecord
    blocks: Callable[[], Iterator[bytes]]


@dataclass
class SubjectArchive:
    """Everything about one child, ready to write."""

    case_id: str
    case_display_id: str
    made_at: datetime
    made_by: str
    config_version: int | None
    complete: bool
    records: list[SubjectRecord]
    files: list[SubjectFile] = dc_field(default_factory=list)
    audit_entries: list[dict[str, Any]] = dc_field(default_factory=list)
    conflicts: list[dict[str, Any]] = dc_field(default_factory=list)
    field_names: dict[str, dict[str, str]] = dc_field(default_factory=dict)


def _safe(text: str) -> str:
    """A part of a path in the zip: letters, digits, dot, dash, underscore; never '..'."""
    return _UNSAFE.sub("_", text).strip("._")[:NAME_LIMIT] or "file"


def _moment(value: Any) -> Any:
    moment = moment_text(value)
    if moment is not None:
        return moment
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_moment) + "\n"


def readme(archive: SubjectArchive, locale: str | None) -> str:
    params = {"case": archive.case_display_id, "made_at": _moment(archive.made_at), "user": archive.made_by}
    lines = [render(line, params, locale) if line else "" for line in README_LINES]
    if not archive.complete:
        lines += ["", render(INCOMPLETE, None, locale)]
    return "\n".join(lines) + "\n"


def write_subject_archive(out: BinaryIO, archive: SubjectArchive, locale: str | None) -> dict[str, int]:
    """Write the archive as a zip into `out`; return how many records, history entries, files and audit entries it
    holds."""
    listed_files = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("README.txt", readme(archive, locale))
        for item in archive.records:
            zipped.writestr(f"records/{item.name}.json", _json(item.record))
            zipped.writestr(f"records/{item.name}-history.json", _json(item.history))
        for stored in archive.files:
            path, digest, size = _write_file(zipped, stored)
            listed_files.append({**stored.descriptor, "path": path, "record_type": stored.record.record_type,
                                 "record_id": stored.record.record["id"], "bytes_written": size,
                                 "sha256_of_bytes": digest})
        zipped.writestr("attachments/attachments.json", _json(listed_files))
        zipped.writestr("audit-log.json", _json(archive.audit_entries))
        if archive.conflicts:
            zipped.writestr("sync-conflicts.json", _json(archive.conflicts))
        zipped.writestr("fields.json", _json(archive.field_names))
        zipped.writestr("manifest.json", _json(_manifest(archive, listed_files)))
    return {"records": len(archive.records), "history_entries": sum(len(r.history) for r in archive.records),
            "files": len(listed_files), "audit_entries": len(archive.audit_entries)}


def _write_file(zipped: zipfile.ZipFile, stored: SubjectFile) -> tuple[str, str, int]:
    """Copy a stored file into the zip as it is (not compressed again); return its path, SHA-256 and size."""
    descriptor = stored.descriptor
    path = "/".join(("attachments", stored.record.name, _safe(str(descriptor.get("field") or "files")),
                     _safe(f"{descriptor['id']}-{descriptor.get('file_name') or 'file'}")))
    digest, size = hashlib.sha256(), 0
    with zipped.open(zipfile.ZipInfo(path, date_time=_zip_time(descriptor.get("uploaded_at"))), "w") as target:
        for block in stored.blocks():
            digest.update(block)
            size += len(block)
            target.write(block)
    return path, digest.hexdigest(), size


def _zip_time(value: Any) -> tuple[int, int, int, int, int, int]:
    if isinstance(value, datetime) and value.year >= 1980:
        return value.timetuple()[:6]
    return (1980, 1, 1, 0, 0, 0)


def _manifest(archive: SubjectArchive, files: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"case_id": archive.case_id, "case_display_id": archive.case_display_id, "made_at": archive.made_at,
            "made_by": archive.made_by, "config_version": archive.config_version, "complete": archive.complete,
            "records": [{"record_type": item.record_type, "id": item.record["id"],
                         "short_id": item.record.get("short_id"), "file": f"records/{item.name}.json",
                         "history": f"records/{item.name}-history.json", "history_entries": len(item.history)}
                        for item in archive.records],
            "files": [{"path": entry["path"], "record_id": entry["record_id"], "field": entry.get("field"),
                       "size": entry["bytes_written"], "sha256": entry["sha256_of_bytes"]} for entry in files],
            "audit_entries": len(archive.audit_entries), "sync_conflicts": len(archive.conflicts)}
