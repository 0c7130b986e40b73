"""Subject access (data_protection: subject_access): everything Abri holds about one child, in one zip file.

The child is named by their case: its id, short id or display id. The archive holds the case, the incidents created
from it (`links.case_id`), the tracing requests whose traces were matched to it (`matched_case_id`), every history
entry of each, their files byte for byte, the sync conflicts kept for them, and every audit entry about them
(server/export/subject_access.py writes it). The permission is checked before the case is looked up; the case
must be in the caller's scope (the data protection officer's is every record), and only the fields the caller's
role may read are in it (every field for a role that lists no forms; the manifest says `complete: false` otherwise).
Audited: the archive made (with its counts), and a refusal (403, 404) as every record use case.
"""
from __future__ import annotations

import re
from typing import Any, BinaryIO

from server.errors import NotFound
from server.export.subject_access import SubjectArchive, SubjectFile, SubjectRecord, write_subject_archive
from server.metadata.labels import resolve_text
from server.metadata.versions import LanguageSettings
from server.records import service
from server.records.access import visible_changes, visible_fields
from server.records.attachments import present as file_descriptor
from server.records.types import RECORD_TYPES, SHORT_ID_ALPHABET, SHORT_ID_LENGTH, RecordType, parse_record_id
from server.records.validation import form_fields
from server.services.audit import audit
from server.services.context import Context
from server.services.permission import require
from server.services.records import actor_of, refusal_audited
from server.storage import attachments as files_store, data_protection as store, records as records_store
from server.storage.query import AnyOf, Filter, Sort

CASE, INCIDENT, TRACING_REQUEST = (RECORD_TYPES[name] for name in ("case", "incident", "tracing_request"))
PERMISSION = ("data_protection", "subject_access")
MAX_LINKED = 1000          # incidents or tracing requests of one child
MAX_AUDIT_ENTRIES = 100_000
_SHORT_ID = re.compile(f"[{SHORT_ID_ALPHABET}]{{{SHORT_ID_LENGTH}}}")
_DISPLAY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def subject_access(ctx: Context, case_ref: str, out: BinaryIO) -> dict[str, Any]:
    """Write the archive of the child of case `case_ref` into `out`; return what it holds (the case's id and
    display id, and counts)."""
    with refusal_audited(ctx, "subject_access", CASE, case_ref):
        require(ctx, *PERMISSION)
        case = _find_case(ctx, case_ref)
    actor = actor_of(ctx)
    visible = {record_type.name: visible_fields(ctx.db, ctx.config, record_type, actor)
               for record_type in (CASE, INCIDENT, TRACING_REQUEST)}
    records = [(CASE, case), *((INCIDENT, found) for found in _incidents(ctx, case["_id"])),
               *((TRACING_REQUEST, found) for found in _tracing_requests(ctx, case["_id"]))]
    shown = [SubjectRecord(record_type.name, _shown(ctx, record_type, record, visible[record_type.name]),
                           _history(ctx, record, visible[record_type.name])) for record_type, record in records]
    ids = [record["_id"] for _, record in records]
    archive = SubjectArchive(
        case_id=case["_id"], case_display_id=case.get(CASE.display_id) or case["short_id"], made_at=ctx.now,
        made_by=ctx.user_name, config_version=ctx.config.version,
        complete=all(names is None for names in visible.values()), records=shown,
        files=_files(ctx, shown, visible), audit_entries=store.audit_entries_of(ctx.db, ids, MAX_AUDIT_ENTRIES),
        conflicts=[_without_key(conflict) for conflict in store.conflicts_of(ctx.db, ids)],
        field_names=_field_names(ctx, visible))
    counts = write_subject_archive(out, archive, ctx.locale)
    audit(ctx, "subject_access", CASE.name, case["_id"],
          detail=f"{counts['records']} records, {counts['history_entries']} history entries, {counts['files']} files, "
                 f"{counts['audit_entries']} audit entries")
    return {"case_id": case["_id"], "display_id": archive.case_display_id,
            "file_name": f"subject-access-{_file_part(archive.case_display_id)}.zip", **counts}


def _file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text)[:100]


def _find_case(ctx: Context, case_ref: str) -> dict[str, Any]:
    """The case named by its id, short id or display id, in the caller's scope (NotFound otherwise: a refusal never
    tells whether a case exists)."""
    text = str(case_ref).strip()
    case = None
    if re.fullmatch(r"[0-9A-Fa-f-]{36}", text):
        case = records_store.find_record(ctx.db, CASE.name, parse_record_id(text, CASE))
    elif _DISPLAY_ID.fullmatch(text):
        key = "short_id" if _SHORT_ID.fullmatch(text.lower()) else CASE.display_id
        found = records_store.find_records(ctx.db, CASE.name, Filter(key, "eq", text.lower() if key == "short_id"
                                                                     else text), [Sort("_id")], 2)
        case = found[0] if len(found) == 1 else None
    if case is None or (ctx.principal is not None and not ctx.principal.in_scope(case)):
        raise NotFound(kind=CASE.label, id=text[:100])
    return case


def _incidents(ctx: Context, case_id: str) -> list[dict[str, Any]]:
    return records_store.find_records(ctx.db, INCIDENT.name, Filter("links.case_id", "eq", case_id),
                                      [Sort("created_at"), Sort("_id")], MAX_LINKED)


def _tracing_requests(ctx: Context, case_id: str) -> list[dict[str, Any]]:
    """The tracing requests with a trace matched to the case (every subform that has matched_case_id)."""
    subforms = [name for name, rows in form_fields(ctx.config, TRACING_REQUEST.name, None).nested.items()
                if "matched_case_id" in rows]
    if not subforms:
        return []
    where = AnyOf(*(Filter(f"data.{name}.matched_case_id", "eq", case_id) for name in subforms))
    return records_store.find_records(ctx.db, TRACING_REQUEST.name, where, [Sort("created_at"), Sort("_id")],
                                      MAX_LINKED)


def _shown(ctx: Context, record_type: RecordType, record: dict[str, Any], visible: set[str] | None) -> dict[str, Any]:
    return service.present(record, record_type, readable=visible)


def _history(ctx: Context, record: dict[str, Any], visible: set[str] | None) -> list[dict[str, Any]]:
    """Every change of the record, oldest first, with the fields the caller may see."""
    entries = records_store.history_since(ctx.db, record, 0)
    return [{**{key: value for key, value in entry.items() if key not in ("_id", "record_id", "change_hash")},
             "changes": visible_changes(entry, visible)} for entry in entries]


def _files(ctx: Context, shown: list[SubjectRecord], visible: dict[str, set[str] | None]) -> list[SubjectFile]:
    """The stored files the records name in fields the caller may see, each with a reader of its bytes."""
    by_id = {item.record["id"]: item for item in shown}
    found = []
    for row in files_store.find_files(ctx.db, by_id):
        item = by_id[row["metadata"]["record_id"]]
        name = (row.get("metadata") or {}).get("field")
        held = item.record["data"].get(name) if isinstance(name, str) else None
        names = visible[item.record_type]
        if isinstance(held, list) and row["_id"] in held and (names is None or name in names):
            found.append(SubjectFile(file_descriptor(row), item, lambda file_id=row["_id"]: _blocks(ctx, file_id)))
    return found


def _blocks(ctx: Context, file_id: str):
    stored = files_store.open_file(ctx.db, file_id)
    return stored.blocks if stored is not None else iter(())


def _without_key(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if not key.startswith("_") or key == "_id"}


def _field_names(ctx: Context, visible: dict[str, set[str] | None]) -> dict[str, dict[str, str]]:
    """{record type: {field: its label in the caller's language}} of the fields the caller may see (rows too)."""
    default = LanguageSettings.of(ctx.settings).default
    locale = ctx.locale or default
    names: dict[str, dict[str, str]] = {}
    for record_type, shown in visible.items():
        labels = names.setdefault(record_type, {})
        for _, form in ctx.config.forms_of(record_type):
            for field in form["fields"]:
                label = resolve_text(field.get("display_name_i18n"), locale, default)
                if label and (shown is None or form.get("is_nested") or field["name"] in shown):
                    labels.setdefault(field["name"], label)
    return names
