"""What the API answers, as marshmallow schemas for the OpenAPI document.

Views build their answers as dicts (server.api.common.envelope); these schemas only describe them,
and the test suite checks every answer of the API tests against them (tests/openapi_check.py).
Objects Abri defines are closed (an undeclared key fails that check, so the document follows the
code); what the configuration defines (record data, documents, filters) is open.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.api.errors import ProblemSchema
from server.records.types import RECORD_TYPES


# The ETag header of a response that a client revalidates with If-None-Match (components/headers/ETag).
ETAG = {"ETag": "ETag"}
FILE = {"type": "string", "format": "binary"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable_string(**metadata) -> fields.String:
    return fields.String(required=True, allow_none=True, metadata=metadata)


def optional_text(description: str | None = None) -> fields.String:
    """A text the answer may leave out or send as null."""
    return fields.String(allow_none=True, metadata={"description": description} if description else {})


def moment(**metadata) -> fields.DateTime:
    """An ISO 8601 moment in UTC (always present, null when not set yet)."""
    return fields.DateTime(required=True, allow_none=True, metadata=metadata)


class EmptyMeta(Schema):
    pass


class PageMeta(Schema):
    total = fields.Integer(required=True, metadata={"description": "Items matching, over all pages."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True, metadata={"description": "Items per page (capped at MAX_PER_PAGE)."})


class RecordPageMeta(PageMeta):
    total = fields.Integer(required=True, metadata={
        "description": "Records matching, over all pages; a lower bound when total_exact is false."})
    total_exact = fields.Boolean(required=True, metadata={
        "description": "False when counting every match would read too much: then there are at least `total`."})
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as ?cursor= (with the same filters and sort) for the next page; null on the last page."})


def envelope_of(name: str, data: fields.Field, meta: type[Schema] = EmptyMeta) -> type[Schema]:
    """Return the schema {"data": <data>, "meta": <meta>} named `name` in the document."""
    return type(name, (Schema,), {"data": data, "meta": fields.Nested(meta, required=True),
                                  "__doc__": f"Success answer: {name}."})


def list_of(name: str, item: type[Schema] | dict, meta: type[Schema] = PageMeta) -> type[Schema]:
    """Return the envelope of a list of `item` (a schema, or a JSON Schema dict)."""
    data = (fields.List(fields.Nested(item), required=True) if isinstance(item, type)
            else fields.List(fields.Raw(metadata=item), required=True))
    return envelope_of(name, data, meta)


def one(name: str, item: type[Schema] | dict, meta: type[Schema] = EmptyMeta) -> type[Schema]:
    """Return the envelope of one `item`."""
    data = fields.Nested(item, required=True) if isinstance(item, type) else fields.Raw(required=True, metadata=item)
    return envelope_of(name, data, meta)


# Logging in

class Token(Schema):
    token = fields.String(required=True, metadata={"description": "Send it as `Authorization: Bearer <token>`."})
    expires_at = fields.DateTime(required=True)


class Session(Schema):
    csrf_token = fields.String(required=True, metadata={"description": "Send it as `X-CSRF-Token` on unsafe "
                                                                       "requests made with the session cookie."})
    expires_at = fields.DateTime(required=True)


class SessionInfo(Schema):
    user_name = fields.String(required=True)
    csrf_token = nullable_string()


class User(Schema):
    user_name = fields.String(required=True)
    full_name = nullable_string()
    email = nullable_string()
    locale = nullable_string()
    role_unique_id = nullable_string()
    agency_unique_id = nullable_string()
    user_group_unique_ids = fields.List(fields.String(), required=True)
    disabled = fields.Boolean(required=True)
    created_at = moment()
    password_changed_at = moment()


class CurrentUser(User):
    permissions = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                              metadata={"description": "resource -> actions the user's role grants."})
    group_permission = nullable_string(description="Record scope: self, group, agency or all.")
    form_section_read_write = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                                          allow_none=True, metadata={"description": "form -> r | rw (null: all)."})


class Permissions(Schema):
    resources = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    group_permission = fields.List(fields.String(), required=True)


class Entity(Schema):
    """An agency or a user group."""

    unique_id = fields.String(required=True)
    agency_code = fields.String()
    agency_type = fields.String()
    name_i18n = fields.Raw(metadata=_ref("meta-i18n"))
    description_i18n = fields.Raw(metadata=_ref("meta-i18n"))
    services = fields.List(fields.String())
    disabled = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class AuditEntry(Schema):
    at = fields.DateTime(required=True)
    user_name = nullable_string()
    action = fields.String(required=True)
    resource = nullable_string()
    record_id = nullable_string(description="Null when the reader may not know which record (redacted).")
    address = nullable_string()
    status = fields.Integer(required=True, allow_none=True)
    detail = nullable_string()
    device_id = fields.String(metadata={"description": "The registered device the caller acted from."})
    redacted = fields.Boolean(metadata={"description": "True when the record's id and detail are hidden."})


# Configuration

class Tombstone(Schema):
    """A document deleted since the version asked for (`since=`)."""

    unique_id = fields.String(required=True)
    deleted = fields.Boolean(required=True, metadata={"enum": [True]})


class DocumentListMeta(PageMeta):
    version = fields.Integer(metadata={"description": "The published version answered (absent for the draft)."})
    since = fields.Integer(allow_none=True, metadata={"description": "The `since` asked for, or null."})
    draft = fields.Boolean(metadata={"description": "True when the draft was listed."})


class DocumentMeta(Schema):
    """A published document (version) or a draft one (revision, draft, updated_at, updated_by)."""

    version = fields.Integer()
    revision = fields.Integer(metadata={"description": "The draft document's revision (also its ETag)."})
    draft = fields.Boolean()
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)


def document_schemas(kind: str) -> tuple[type[Schema], type[Schema]]:
    """Return the envelopes of one document and of a list of documents of a kind (all languages or one)."""
    title = kind.capitalize()
    either = {"anyOf": [_ref(f"meta-{kind}"), _ref(f"localized-{kind}")]}
    listed = {"anyOf": [_ref(f"meta-{kind}"), _ref(f"localized-{kind}"), _ref("Tombstone")]}
    return one(f"{title}Answer", either, DocumentMeta), list_of(f"{title}List", listed, DocumentListMeta)


class Change(Schema):
    """A document added, removed or changed between two versions (forms: which fields, too)."""

    kind = fields.String(required=True)
    unique_id = fields.String(required=True)
    change = fields.String(required=True, metadata={"enum": ["added", "removed", "changed"]})
    attributes = fields.Dict(metadata={"description": "attribute -> {from, to}."})
    fields_added = fields.List(fields.String())
    fields_removed = fields.List(fields.String())
    fields_changed = fields.Dict(metadata={"description": "field -> attribute -> {from, to}."})
    fields_reordered = fields.Boolean()


class ChangeSummary(Schema):
    kind = fields.String(required=True)
    unique_id = fields.String(required=True)
    change = fields.String(required=True, metadata={"enum": ["added", "removed", "changed"]})


class Version(Schema):
    version = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)
    published_by = fields.String(required=True)
    comment = fields.String(required=True)
    restored_from = fields.Integer(required=True, allow_none=True)
    changes = fields.List(fields.Nested(ChangeSummary), required=True)
    documents = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "kind:unique_id -> content hash (one version only)."})


class PublishMeta(Schema):
    warnings = fields.List(fields.Nested(ProblemSchema), required=True)


class DiffMeta(Schema):
    base = fields.Integer(required=True)
    target = fields.Integer(required=True)


class DraftStatus(Schema):
    published_version = fields.Integer(required=True)
    changes = fields.List(fields.Nested(Change), required=True)
    errors = fields.List(fields.Nested(ProblemSchema), required=True)
    warnings = fields.List(fields.Nested(ProblemSchema), required=True)
    can_publish = fields.Boolean(required=True)


class ReadableItem(Schema):
    """A field or an option named by its label in the reader's language."""

    name = fields.String(metadata={"description": "A field's name."})
    id = fields.String(metadata={"description": "An option's id."})
    label = fields.String(required=True)
    records = fields.Integer(metadata={"description": "Records holding data for a removed field (they keep them)."})
    moved_to = fields.String(metadata={"description": "The form a removed field moved to (its data stay shown)."})


class ReadableFieldChange(Schema):
    name = fields.String(required=True)
    label = fields.String(required=True)
    properties = fields.List(fields.String(), required=True, metadata={"description": "Changed properties, in words."})
    options_added = fields.List(fields.Nested(ReadableItem))
    options_removed = fields.List(fields.Nested(ReadableItem))
    options_changed = fields.List(fields.Nested(ReadableItem))


class ReadableChange(Schema):
    """A document's changes as a person reads them: labels, property names in words, nothing that means nothing."""

    kind = fields.String(required=True)
    unique_id = fields.String(required=True)
    change = fields.String(required=True, metadata={"enum": ["added", "removed", "changed"]})
    label = fields.String(required=True)
    parent_form = fields.String(allow_none=True)
    properties = fields.List(fields.String())
    fields_added = fields.List(fields.Nested(ReadableItem))
    fields_removed = fields.List(fields.Nested(ReadableItem))
    fields_changed = fields.List(fields.Nested(ReadableFieldChange))
    fields_reordered = fields.Boolean()
    options_added = fields.List(fields.Nested(ReadableItem))
    options_removed = fields.List(fields.Nested(ReadableItem))
    options_changed = fields.List(fields.Nested(ReadableItem))


class PublishImpact(Schema):
    published_version = fields.Integer(required=True)
    changes = fields.List(fields.Nested(ReadableChange), required=True)
    users = fields.Integer(required=True, metadata={"description": "Active users, who receive the new version."})
    devices = fields.Integer(required=True, metadata={"description": "Registered tablets that are not revoked."})
    records_losing_a_field = fields.Integer(required=True, metadata={
        "description": "Values records hold for fields the draft removes (kept in the records, shown by no form)."})


class DocumentCoverage(Schema):
    kind = fields.String(required=True)
    unique_id = fields.String(required=True)
    record_type = nullable_string()
    total = fields.Integer(required=True)
    translated = fields.Integer(required=True)
    percent = fields.Float(required=True)
    missing = fields.List(fields.String(), required=True, metadata={"description": "field/option/property paths."})


class LanguageCoverage(Schema):
    default = fields.Boolean(required=True)
    total = fields.Integer(required=True)
    translated = fields.Integer(required=True)
    percent = fields.Float(required=True)
    documents = fields.List(fields.Nested(DocumentCoverage), required=True)


class TranslationChange(Schema):
    """One text the uploaded spreadsheet changed, keyed as its row (sheet!number)."""

    row = fields.String(required=True)
    kind = fields.String(required=True)
    document = fields.String(required=True)
    field = fields.String(required=True)
    option = fields.String(required=True)
    property = fields.String(required=True)
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)


class CountMeta(Schema):
    total = fields.Integer(required=True)


class RevisionMeta(CountMeta):
    revision = fields.Integer(required=True)


# The field-type registry (server/metadata/field_types.py)

class FieldTypeRender(Schema):
    """How a form renderer shows a field of the type."""

    widget = fields.String(required=True, metadata={"description": "text, textarea, select, radio, checkbox, number, "
                                                                   "date, location, separator, subform, calculated, "
                                                                   "tally, files, ..."})
    options = fields.Boolean(required=True, metadata={"description": "Values are chosen among options (a lookup in "
                                                                     "option_strings_source or inline ones)."})
    multiple = fields.Boolean(required=True, metadata={"description": "May hold several choices (multi_select)."})
    accept = nullable_string(description="The media types an upload offers (files widgets), else null.")


class FieldType(Schema):
    """One field type: what its values are and how the server filters, searches and exports them."""

    type = fields.String(required=True, metadata={"description": "The `type` of a field using it."})
    label = fields.String(required=True, metadata={"description": "Its name in the request's language."})
    value = fields.String(required=True, metadata={"description": "What a value is: text, option, boolean, number, "
                                                                  "date, tally, place, files, computed, rows or "
                                                                  "nothing."})
    json_type = fields.List(fields.String(), required=True,
                            metadata={"description": "The JSON types of a value (empty: the type holds no data)."})
    holds_data = fields.Boolean(required=True)
    read_only = fields.Boolean(required=True, metadata={"description": "The server computes its values."})
    filter = fields.String(required=True, metadata={
        "enum": ["none", "equality", "range", "location"],
        "description": "How a record list filters a field marked filterable: equal values (a,b), ranges too "
                       "(a..b), or a place and every place below it."})
    searchable = fields.Boolean(required=True, metadata={"description": "A text search (?query=) can read a field "
                                                                       "marked searchable."})
    export = fields.String(required=True, metadata={"description": "The cell an export writes: text, number, yes_no, "
                                                                   "option, date, tally, place, count, rows (a sheet "
                                                                   "of its own) or none."})
    render = fields.Nested(FieldTypeRender, required=True)
    max_length = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The longest text (in characters) of a field that sets no max_length; null: not a text."})
    max_size_mb = fields.Float(required=True, allow_none=True, metadata={
        "description": "The largest file (in MB) of a field that sets no max_size_mb; null: not an upload."})
    attributes = fields.List(fields.String(), required=True,
                             metadata={"description": "The field attributes the type uses (the configuration check "
                                                      "warns about others)."})


class VersionMeta(Schema):
    version = fields.Integer(required=True)


# Records

class Transition(Schema):
    """A referral or a transfer of a case, and what became of it."""

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["referral", "transfer"]))
    status = fields.String(required=True, metadata={"description": "in_progress, accepted, rejected, done (a "
                                                                   "referral), revoked."})
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)
    from_agency = optional_text()
    to_user = fields.String(required=True)
    to_agency = optional_text()
    to_role = optional_text()
    notes = optional_text()
    service_id = optional_text("The service row a referral is for (its unique_id).")
    consent_overridden = fields.Boolean(required=True)
    override_reason = optional_text()
    accepted_at = fields.DateTime()
    rejected_at = fields.DateTime()
    rejected_reason = optional_text()
    done_at = fields.DateTime()
    done_note = optional_text()
    revoked_at = fields.DateTime()
    revoked_by = optional_text()
    revoked_reason = optional_text()


class Approval(Schema):
    """One approval request of a case and its decision."""

    id = fields.UUID(required=True)
    type = fields.String(required=True, metadata={"description": "assessment, case_plan or closure."})
    status = fields.String(required=True, validate=validate.OneOf(["requested", "approved", "rejected"]))
    requested_at = fields.DateTime(required=True)
    requested_by = fields.String(required=True)
    request_comments = optional_text()
    decided_at = fields.DateTime()
    decided_by = optional_text()
    decision_comments = optional_text()


class Flag(Schema):
    """A flag raised on a record (and, once removed, who removed it and why)."""

    id = fields.UUID(required=True)
    reason = fields.String(required=True)
    date = optional_text("The date the flag is about (YYYY-MM-DD), if any.")
    flagged_at = fields.DateTime(required=True)
    flagged_by = fields.String(required=True)
    removed = fields.Boolean(required=True)
    removed_at = fields.DateTime()
    removed_by = optional_text()
    removed_reason = optional_text()


class WorkItem(Schema):
    """Which case a task or a service is on."""

    record_type = fields.String(required=True)
    record_id = fields.UUID(required=True)
    short_id = fields.String(required=True)
    case_id_display = optional_text("The case's display id.")
    owned_by = fields.String(required=True)
    stage = optional_text("The case's stage.")


class Task(WorkItem):
    """Something to do on a case by a day: a task of its workflow, or an approval waiting for the reader."""

    task = fields.String(required=True, metadata={"description": "The task's id (approval_<type> for an approval)."})
    kind = fields.String(required=True, validate=validate.OneOf(["task", "approval"]))
    name = fields.String(required=True, metadata={"description": "The task's name, in the reader's language."})
    row = optional_text("The subform row the task is about (its unique_id), if any.")
    due = fields.Date(required=True)
    overdue = fields.Boolean(required=True, metadata={"description": "Due before today."})
    approval_type = optional_text("For an approval: assessment, case_plan or closure.")
    requested_by = optional_text("For an approval: who asked for it.")


class ServiceReferral(Schema):
    """A referral of one service, and where it stands."""

    id = fields.UUID(required=True)
    status = fields.String(required=True)
    to_user = fields.String(required=True)
    to_agency = optional_text()
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)
    accepted_at = fields.DateTime()
    rejected_at = fields.DateTime()
    done_at = fields.DateTime()
    revoked_at = fields.DateTime()


class ServiceItem(WorkItem):
    """One service of a case (a row of its services form), from its request to its implementation."""

    service_id = fields.String(required=True, metadata={"description": "The service row's unique_id."})
    type = fields.Raw(allow_none=True, metadata={"description": "The service type (an option of the form)."})
    status = fields.Raw(allow_none=True)
    provider_agency = fields.Raw(allow_none=True)
    provider_user = fields.Raw(allow_none=True)
    implemented_on = fields.Raw(allow_none=True)
    notes = fields.Raw(allow_none=True)
    due = fields.Date(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    implemented = fields.Boolean(required=True)
    requested_at = fields.DateTime(required=True, metadata={"description": "When the case first held the service."})
    implemented_at = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "When the case first held it implemented."})
    referrals = fields.List(fields.Nested(ServiceReferral), required=True)


class AlertItem(Schema):
    """Something that happened that concerns the reader: what (kind, message), on which record, by whom, when."""

    id = fields.UUID(required=True)
    kind = fields.String(required=True, metadata={"description": (
        "referral_received, transfer_received, referral_accepted, referral_rejected, referral_done, "
        "referral_revoked, transfer_accepted, transfer_rejected, transfer_revoked, approval_approved, "
        "approval_rejected, flag_raised, assigned, record_changed.")})
    message = fields.String(required=True, metadata={"description": "What happened, in the reader's language."})
    record_type = fields.String(required=True)
    record_id = fields.UUID(required=True)
    record_display_id = optional_text()
    by = fields.String(required=True, metadata={"description": "Who acted."})
    at = fields.DateTime(required=True, metadata={"description": "When (the latest time, for a repeated one)."})
    count = fields.Integer(required=True, metadata={"description": "How many times it happened while unread."})
    read = fields.Boolean(required=True)
    read_at = fields.DateTime(allow_none=True, required=True)
    seq = fields.Integer(required=True, metadata={"description": "Its number: the live stream's event id."})
    detail = fields.Dict(required=True, metadata={"description": (
        "The id of what it is about: transition_id, approval_id and approval_type, or flag_id.")})


class PulledAlerts(Schema):
    unread = fields.Integer(required=True, metadata={"description": "How many of the user's alerts are unread."})
    items = fields.List(fields.Nested(AlertItem), required=True, metadata={
        "description": "The newest unread alerts (at most 50)."})


class RecordBase(Schema):
    """The envelope fields of a record (set by the server) and the `data` the reader may read."""

    id = fields.UUID(required=True)
    short_id = fields.String(required=True)
    module_id = fields.String(required=True)
    status = fields.String(required=True)
    record_state = fields.Boolean(required=True, metadata={"description": "False when disabled."})
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)
    last_updated_at = fields.DateTime(required=True)
    last_updated_by = fields.String(required=True)
    owned_by = fields.String(required=True)
    owned_by_agency = nullable_string()
    owned_by_groups = fields.List(fields.String(), required=True)
    associated_user_names = fields.List(fields.String(), required=True)
    revision = fields.Integer(required=True, metadata={"description": "Send it back as If-Match to update."})
    config_version = fields.Integer(required=True, metadata={"description": "Configuration version it was "
                                                                            "validated against."})
    marked_for_mobile = fields.Boolean(required=True, metadata={
        "description": "Sent to the devices of the users who see it when sync sends only marked records "
                       "(SYNC_RECORDS=marked)."})
    data = fields.Dict(required=True, metadata={"description": "Form data the reader may read; its JSON Schema "
                                                               "is GET /schemas/{record_type}."})
    flags = fields.List(fields.Nested(Flag))
    flagged = fields.Boolean(metadata={"description": "True while a flag is raised."})
    pseudonymised_at = fields.DateTime(metadata={
        "description": "When a retention rule removed the fields that identify a person (absent: never)."})


class CaseWork:
    """The workflow envelope of a case (server/workflow)."""

    stage = optional_text("The case's stage, by its module's workflow.")
    reopened = fields.Boolean(metadata={"description": "True from a reopening until the case's data next change."})
    closed_at = fields.DateTime()
    closed_by = optional_text()
    reopened_at = fields.DateTime()
    reopened_by = optional_text()
    reopen_reason = optional_text()
    transitions = fields.List(fields.Nested(Transition), metadata={
        "description": "Referrals and transfers; one reached only through a referral sees only those made to them."})
    approvals = fields.List(fields.Nested(Approval), metadata={"description": "The approval log, oldest first."})
    pending_approvals = fields.List(fields.String(), metadata={"description": "Approval types waiting for a "
                                                                              "decision."})
    merged_into = fields.UUID(allow_none=True, metadata={
        "description": "The case this one was merged into (this one is then disabled): where the child is now."})
    merged_from = fields.List(fields.UUID(), metadata={"description": "The cases merged into this one."})


def _record_schema(record_type) -> type[Schema]:
    extra = {record_type.display_id: fields.String(required=True)}
    if record_type.name == "case":
        extra.update({name: value for name, value in vars(CaseWork).items() if isinstance(value, fields.Field)})
    if record_type.name == "incident":
        extra["case_id"] = fields.UUID(metadata={"description": "The case the incident was created from."})
    name = "".join(part.capitalize() for part in record_type.name.split("_"))
    return type(name, (RecordBase,), {**extra, "__doc__": f"A {record_type.name.replace('_', ' ')} record."})


RECORDS = {name: _record_schema(record_type) for name, record_type in RECORD_TYPES.items()}


class HistoryEntry(Schema):
    revision = fields.Integer(required=True)
    action = fields.String(required=True)
    user_name = fields.String(required=True)
    at = fields.DateTime(required=True)
    device_id = fields.String(metadata={"description": "The registered device the change was pushed from."})
    change_id = fields.String(metadata={"description": "The device's id of the change (a resend is recognised)."})
    changes = fields.Dict(required=True, metadata={"description": "field (or subform row) -> {from, to}, "
                                                                  "only the fields the reader may read."})


# Exports

class ExportJob(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["queued", "running", "complete", "failed"]})
    record_type = fields.String(required=True)
    format = fields.String(required=True)
    locale = fields.String(required=True)
    filters = fields.Dict(required=True)
    include_disabled = fields.Boolean(required=True, metadata={
        "description": "Disabled records are in the file too (marked)."})
    rows_done = fields.Integer(required=True)
    total = fields.Integer(required=True, allow_none=True)
    percent = fields.Integer(required=True)
    errors = fields.List(fields.Raw(), required=True)
    encrypted = fields.Boolean(required=True)
    identifying = fields.String(required=True, metadata={
        "enum": ["include", "hash", "drop"],
        "description": "What the file holds of the fields that identify a person: their values, pseudonyms, nothing."})
    partner_agency = nullable_string(description="With hash: the agency whose pseudonyms the file holds.")
    file_name = nullable_string()
    size = fields.Integer(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    finished_at = moment()
    expires_at = moment()


# Data protection (server/api/data_protection.py)

class RetentionRuleResult(Schema):
    """One retention rule, and what a preview found, a dry run would do or a run did under it."""

    id = fields.String(required=True)
    module_id = fields.String(required=True)
    record_type = fields.String(required=True)
    status = nullable_string(description="The records' status the rule reaches (null: any).")
    after_days = fields.Integer(required=True)
    from_ = fields.String(required=True, data_key="from", metadata={"description": "The date counted from."})
    action = fields.String(required=True, metadata={"enum": ["pseudonymise", "delete"]})
    note_i18n = fields.Dict(required=True, metadata={"description": "Why the rule is so, per language."})
    note = fields.String(required=True, metadata={"description": "Why the rule is so, in the request's language."})
    due = fields.Integer(required=True, metadata={"description": "Records the rule reaches (when the run started)."})
    done = fields.Integer(required=True, metadata={"description": "Records changed (a dry run: that would be)."})
    failed = fields.Integer(required=True)
    sample = fields.List(fields.String(), required=True, metadata={"description": "A few of their display ids."})
    fields_ = fields.Dict(required=True, data_key="fields", keys=fields.String(), values=fields.Integer(), metadata={
        "description": "Identifying field -> records that held a value for it (removed)."})
    history_entries = fields.Integer(required=True, metadata={"description": "History entries changed or removed."})
    files = fields.Integer(required=True, metadata={"description": "Files deleted."})


class RetentionPreview(Schema):
    as_of = fields.DateTime(required=True)
    rules = fields.List(fields.Nested(RetentionRuleResult), required=True)
    pending = fields.Integer(required=True, metadata={"description": "Records a run left under way (the next run "
                                                                     "finishes them first)."})


class RetentionRun(Schema):
    as_of = fields.DateTime(required=True)
    run_id = fields.String(required=True)
    dry_run = fields.Boolean(required=True)
    rules = fields.List(fields.Nested(RetentionRuleResult), required=True)
    resumed = fields.Integer(required=True, metadata={"description": "Records an earlier run left under way, "
                                                                     "finished first."})
    remaining = fields.Integer(required=True, metadata={"description": "Records the rules still reach: run again "
                                                                       "until 0."})


class ConsentAuditRow(Schema):
    """A referral, a transfer or an export, and the consent it went under."""

    kind = fields.String(required=True, metadata={"enum": ["referral", "transfer", "export"]})
    at = fields.DateTime(required=True)
    by = nullable_string(description="Who sent the record, or made the export.")
    from_agency = nullable_string()
    to_agency = nullable_string(description="The receiving agency; for an export, the exporting user's.")
    to_user = nullable_string()
    to_role = nullable_string()
    record_type = nullable_string()
    record_id = nullable_string(description="The case referred or transferred (null for an export).")
    display_id = nullable_string()
    status = nullable_string(description="in_progress, accepted, rejected, done, revoked; complete for an export.")
    service_id = nullable_string(description="The service row a referral is for.")
    consent_services = fields.Raw(required=True, allow_none=True, metadata={
        "description": "The value of the consent for services when it was sent."})
    consent_services_label = nullable_string()
    consent_sharing = fields.Raw(required=True, allow_none=True, metadata={
        "description": "The value of the consent to share when it was sent."})
    consent_sharing_label = nullable_string()
    consent_overridden = fields.Boolean(required=True, allow_none=True)
    override_reason = nullable_string()
    export_id = nullable_string()
    format = nullable_string()
    identifying = nullable_string(description="An export: include, hash or drop (null: the job is no longer kept).")
