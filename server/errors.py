"""The error catalogue and the error tree; no HTTP here.

    AbriError                 every error Abri answers on purpose: an `Error` of the catalogue and its parameters
    ├── BadRequest            the request cannot be read (MALFORMED_JSON, BAD_PARAMETER, LOCALE_UNKNOWN, ...)
    ├── Unauthorized          who is asking is not known (AUTHENTICATION_REQUIRED, TOKEN_INVALID, ...)
    ├── Forbidden             they may not (PERMISSION_DENIED, ROLE_NOT_ASSIGNABLE, ...)
    ├── NotFound              NOT_FOUND, ROUTE_NOT_FOUND
    ├── MethodNotAllowed      METHOD_NOT_ALLOWED
    ├── Conflict              the current state refuses it (ALREADY_EXISTS, PUBLISH_CONFLICT, IN_USE, ...)
    ├── PreconditionFailed    STALE_REVISION
    ├── PayloadTooLarge       PAYLOAD_TOO_LARGE, CSV_TOO_LARGE, SPREADSHEET_TOO_LARGE, XLSFORM_TOO_LARGE,
    │                         ATTACHMENT_TOO_LARGE
    ├── UnsupportedMediaType  ATTACHMENT_TYPE_REFUSED
    ├── Unprocessable         the content breaks a rule (DOCUMENT_INVALID, CHECKS_FAILED, RECORD_INVALID, ...)
    └── ServiceUnavailable    STORAGE_UNAVAILABLE

The kinds are for `except`; what a client reads is the member of `Error`: a stable API code (several members may
share one, when one code has several wordings) and a message template whose %(name)s placeholders are the
parameters of the raise: `raise Unprocessable(Error.RECORD_MODULE, modules="cp")`. A failing field is a `Detail`
naming a rule of the rules vocabulary (server/rules.py). Messages are rendered in the reader's language by whoever
shows them (server/messages.py); the HTTP status of each code is the edge's business (server/api/errors.py).
`status` on a kind only says what an audit entry records of a refusal; the edge answers from its table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from server.messages import _l, render
from server.rules import Rule


class Error(Enum):
    """The error catalogue: (API code, message template) per member."""

    def __init__(self, code: str, template: Any) -> None:
        self.code = code
        self.template = template

    # Any kind, and the edge
    INTERNAL_ERROR = ("INTERNAL_ERROR", _l("An unexpected error occurred. It has been logged."))
    BAD_REQUEST = ("BAD_REQUEST", _l("The request is not valid."))
    MALFORMED_JSON = ("MALFORMED_JSON", _l("The request body is not valid JSON."))
    CONTENT_TYPE = ("CONTENT_TYPE", _l("Send the body as JSON (Content-Type: application/json)."))
    BODY_INVALID = ("BODY_INVALID", _l("The request body is not valid."))
    QUERY_INVALID = ("BAD_PARAMETER", _l("A query parameter is not valid."))
    QUERY_PARAMETER_INVALID = ("BAD_PARAMETER", _l("The query parameter %(name)s is not valid."))
    URL_INVALID = ("BAD_PARAMETER", _l("A parameter of the URL is not valid."))
    IF_MATCH_INVALID = ("BAD_PARAMETER", _l("If-Match must be the document's revision number."))
    LOCALE_UNKNOWN = ("LOCALE_UNKNOWN", _l("Unknown language %(locale)s; use one of %(known)s."))
    ROUTE_NOT_FOUND = ("ROUTE_NOT_FOUND", _l("There is no such route."))
    METHOD_NOT_ALLOWED = ("METHOD_NOT_ALLOWED", _l("This method is not allowed on this resource."))
    PAYLOAD_TOO_LARGE = ("PAYLOAD_TOO_LARGE", _l("The request body is larger than %(limit)s bytes."))
    STORAGE_UNAVAILABLE = ("STORAGE_UNAVAILABLE", _l("The database cannot be reached. Try again shortly."))
    NOT_FOUND = ("NOT_FOUND", _l("%(kind)s %(id)s was not found."))
    CONFLICT = ("CONFLICT", _l("The request conflicts with the current state."))
    STALE_REVISION = ("STALE_REVISION", _l("%(kind)s %(id)s was changed by someone else (revision %(current)s, you "
                                           "sent %(sent)s). Reload it and apply your change again."))
    ALREADY_EXISTS = ("ALREADY_EXISTS", _l("%(kind)s %(id)s already exists."))
    # Settings and start
    SETTING_INVALID = ("SETTING_INVALID", _l("The setting %(name)s cannot be %(value)s. Allowed: %(allowed)s."))
    SETTING_REFUSED = ("SETTING_INVALID", _l("The setting %(name)s is refused: %(reason)s"))
    PROFILE_MISMATCH = ("PROFILE_MISMATCH", _l(
        "This database was set up with the country profile %(stored)s, and this start asks for %(requested)s. Start "
        "without --profile and ABRI_PROFILE to keep %(stored)s, or use an empty database for another country "
        "(ABRI_MONGO_URI, or ABRI_INSTANCE_PATH for the embedded one)."))
    PROFILE_MISSING = ("PROFILE_MISMATCH", _l(
        "This database was set up without a country profile, and this start asks for %(requested)s. Start without "
        "--profile and ABRI_PROFILE, or use an empty database for that country (ABRI_MONGO_URI, or "
        "ABRI_INSTANCE_PATH for the embedded one)."))
    # Authentication and rights
    AUTHENTICATION_REQUIRED = ("AUTHENTICATION_REQUIRED", _l("Authentication is required."))
    INVALID_CREDENTIALS = ("INVALID_CREDENTIALS", _l("The user name or the password is not correct."))
    TOO_MANY_ATTEMPTS = ("TOO_MANY_ATTEMPTS", _l("Too many failed logins from this device. Try again in "
                                                 "%(seconds)s seconds."))
    TOKEN_MALFORMED = ("TOKEN_INVALID", _l("Use the Authorization header as: Bearer <token>."))
    SESSION_ENDED = ("TOKEN_INVALID", _l("Your session has expired or was ended. Log in again."))
    DEVICE_REVOKED = ("DEVICE_REVOKED", _l("This device was revoked by an administrator. Erase the data it keeps; to "
                                           "use it again, register it as a new device."))
    DEVICE_NEEDS_LOGIN = ("PERMISSION_DENIED", _l("A device is registered with its user's own login, not with the "
                                                  "credential of another device."))
    DEVICE_REVOKE_NEEDS_LOGIN = ("PERMISSION_DENIED", _l("From a device, only that device may be revoked; revoking "
                                                         "another one needs its user's own login."))
    DEVICE_ID_REVOKED = ("DEVICE_ID_REVOKED", _l("Device %(id)s was revoked; it cannot be registered again. Erase its "
                                              "data and register it under a new id."))
    DEVICE_ALREADY_REVOKED = ("ALREADY_REVOKED", _l("Device %(id)s is already revoked."))
    CSRF_FAILED = ("CSRF_FAILED", _l("The form is missing its security token. Reload the page and try again."))
    USER_DISABLED = ("USER_DISABLED", _l("User %(user)s is disabled or was removed."))
    PERMISSION_DENIED = ("PERMISSION_DENIED", _l("You are not allowed to do this."))
    ACTION_DENIED = ("PERMISSION_DENIED", _l("Your role may not %(action)s %(resource)s."))
    MODULE_DENIED = ("PERMISSION_DENIED", _l("Your role may not create records of module %(module)s."))
    DISABLED_RECORDS_DENIED = ("PERMISSION_DENIED", _l("Your role may not see disabled records: it may not read "
                                                       "records of this type (%(resource)s)."))
    PASSWORD_TOO_SHORT = ("PASSWORD_TOO_SHORT", _l("The password is too short."))
    PASSWORD_TOO_WEAK = ("PASSWORD_TOO_WEAK", _l("The password is too easy to guess."))
    PASSWORD_INCORRECT = ("PASSWORD_INCORRECT", _l("The current password is not correct."))
    LAST_ADMINISTRATOR = ("LAST_ADMINISTRATOR", _l(
        "This would leave no active system administrator (a user whose role manages users and roles and may assign "
        "every role). Give that role to someone else first."))
    ROLE_NOT_ASSIGNABLE = ("ROLE_NOT_ASSIGNABLE", _l("Your role may not give the role %(role)s to a user."))
    ROLE_EXCEEDS_GRANTER = ("ROLE_EXCEEDS_GRANTER", _l("The role %(role)s lets its users give out rights that your "
                                                       "role does not have."))
    ROLE_EXCEEDS_EDITOR = ("ROLE_EXCEEDS_EDITOR", _l("The role %(role)s would let its users give out rights that "
                                                     "your role does not have."))
    USER_NOT_MANAGEABLE = ("USER_NOT_MANAGEABLE", _l("Your role may not edit %(user)s, whose role %(role)s is not "
                                                     "one it may assign."))
    AGENCY_NOT_MANAGEABLE = ("USER_NOT_MANAGEABLE", _l(
        "%(count)s users of this agency hold a role your role may not assign; their agency can be disabled only by "
        "someone who may."))
    SELF_AGENCY_CHANGE = ("SELF_RIGHTS_CHANGE", _l("You may not disable or enable your own agency: ask another "
                                                   "administrator."))
    SELF_RIGHTS_CHANGE = ("SELF_RIGHTS_CHANGE", _l("You may not change your own role, agency, groups or disabled "
                                                   "state: ask another administrator."))
    ROLE_NOT_MANAGEABLE = ("ROLE_NOT_MANAGEABLE", _l("Your role may not change %(role)s, which is not one of the "
                                                     "roles it may assign."))
    ROLE_MANAGE_REQUIRED = ("ROLE_MANAGE_REQUIRED", _l("Publishing changes to roles needs the role: manage "
                                                       "permission."))
    OWN_ROLE_WIDENING = ("OWN_ROLE_WIDENING", _l("You may not widen %(role)s, the role you hold: ask another "
                                                 "administrator."))
    # Configuration (metadata)
    DOCUMENT_INVALID = ("DOCUMENT_INVALID", _l("The %(kind)s document is not valid."))
    CHECKS_FAILED = ("CHECKS_FAILED", _l("Configuration errors: %(count)s. Nothing was changed."))
    CHANGE_FAILS_CHECKS = ("CHECKS_FAILED", _l("The change would fail checks: %(count)s. Nothing was changed."))
    PUBLISH_BLOCKED = ("CHECKS_FAILED", _l("Publishing is blocked by errors: %(count)s."))
    NOTHING_TO_PUBLISH = ("NOTHING_TO_PUBLISH", _l("The draft has no changes to publish."))
    CONFIGURATION_BUSY = ("CONFIGURATION_BUSY", _l(
        "Another change to the configuration (an import, a publish, a restore or a field moved to another form) is "
        "under way. Try again when it is done; one interrupted by a crash holds the configuration for at most "
        "%(seconds)s seconds."))
    PUBLISH_CONFLICT = ("PUBLISH_CONFLICT", _l("Someone else published version %(number)s a moment ago. Review the "
                                               "draft and publish again."))
    TRANSLATIONS_ONLY = ("TRANSLATIONS_ONLY", _l("Translators may change labels, help texts, translations, order "
                                                 "and visibility only."))
    IN_USE = ("IN_USE", _l("%(kind)s %(id)s is still used (fields: %(count)s); remove those uses first."))
    LOOKUP_VALUES_IN_USE = ("LOOKUP_VALUES_IN_USE", _l("Publishing would remove lookup values that records hold: "
                                                       "%(count)s. Nothing was published."))
    DRAFT_NOT_EMPTY = ("DRAFT_NOT_EMPTY", _l("The draft has changes that are not published; publish or discard "
                                             "them first."))
    DRAFT_NOT_EMPTY_RESTORE = ("DRAFT_NOT_EMPTY", _l("The draft has changes that are not published; restoring would "
                                                     "discard them. Publish them, or restore with discard_draft."))
    UNIQUE_ID_CHANGED = ("UNIQUE_ID_CHANGED", _l("The unique_id of a document cannot change."))
    FIELD_EXISTS = ("ALREADY_EXISTS", _l("The form already has a field %(name)s."))
    LOOKUP_VALUE_EXISTS = ("ALREADY_EXISTS", _l("The lookup already has a value %(id)s."))
    ORDER_INVALID = ("ORDER_INVALID", _l("The new order must list every field of the form exactly once."))
    FOLDER_MISSING = ("FOLDER_MISSING", _l("%(path)s is not a folder."))
    FOLDER_INVALID = ("FOLDER_INVALID", _l("Problems in the configuration folder: %(count)s. Nothing was loaded."))
    PROFILE_UNKNOWN = ("PROFILE_UNKNOWN", _l("There is no country profile %(profile)s (no folder %(path)s)."))
    TRANSLATIONS_REFUSED = ("TRANSLATIONS_REFUSED", _l("Rows refused: %(count)s. Nothing was changed."))
    BAD_LANGUAGE = ("BAD_LANGUAGE", _l("Choose a configured language other than the default one (%(default)s)."))
    SPREADSHEET_TOO_LARGE = ("SPREADSHEET_TOO_LARGE", _l("The spreadsheet is too large to read. Send the file "
                                                         "downloaded from Abri."))
    SPREADSHEET_INVALID = ("SPREADSHEET_INVALID", _l("The file is not an xlsx translation spreadsheet."))
    # Forms traded as XLSForm (Kobo, ODK)
    XLSFORM_INVALID = ("XLSFORM_INVALID", _l("The file is not an XLSForm workbook Abri can read. Nothing was changed."))
    XLSFORM_TOO_LARGE = ("XLSFORM_TOO_LARGE", _l("The XLSForm workbook is too large to read: split it into smaller "
                                                 "forms."))
    # Reports
    REPORT_INVALID = ("REPORT_INVALID", _l("The report cannot be computed: problems: %(count)s. Nothing was saved."))
    REPORT_FIELDS_NOT_READABLE = ("PERMISSION_DENIED", _l("The report %(id)s counts fields your role may not read."))
    BOUNDARIES_INVALID = ("BOUNDARIES_INVALID", _l("The file is not GeoJSON of the hierarchy's places that Abri can "
                                                   "read. Nothing was changed."))
    # Places
    CSV_ROWS_REFUSED = ("CSV_INVALID", _l("Rows refused: %(count)s. Nothing was changed."))
    CSV_NO_HASHTAGS = ("CSV_INVALID", _l("The file has no HXL hashtag row (#adm1+code, #adm1+name, ...)."))
    CSV_TOO_LARGE = ("CSV_TOO_LARGE", _l("The file is larger than %(limit)s bytes; split it."))
    CSV_TOO_MANY_ROWS = ("CSV_TOO_LARGE", _l("The file has more than %(limit)s rows; split it."))
    LOCATIONS_IN_USE = ("LOCATIONS_IN_USE", _l(
        "Places that records use would be removed: %(count)s. Nothing was changed: check the list, then import "
        "again with confirm to remove them (the records keep their codes)."))
    # Records
    RECORD_INVALID = ("RECORD_INVALID", _l("Invalid fields: %(count)s. Nothing was saved."))
    RECORD_MODULE = ("RECORD_INVALID", _l("Choose the module of the record: one of %(modules)s."))
    RECORD_ID_INVALID = ("RECORD_INVALID", _l("The record id must be a UUID."))
    FIELDS_FORBIDDEN = ("FIELDS_FORBIDDEN", _l("Your role may not change these fields: %(fields)s. Nothing was "
                                               "saved."))
    SHORT_ID_EXHAUSTED = ("SHORT_ID_EXHAUSTED", _l("Could not allocate a short id; try again."))
    WRITE_CONTENTION = ("WRITE_CONTENTION", _l("%(kind)s %(id)s is being changed by others right now; try again."))
    ID_UNAVAILABLE = ("ID_UNAVAILABLE", _l("This id cannot be used; generate a new one."))
    RECORD_EXISTS = ("RECORD_EXISTS", _l("%(kind)s %(id)s already exists with different content (revision "
                                         "%(revision)s)."))
    RECORD_DISABLED = ("RECORD_DISABLED", _l("%(kind)s %(id)s is disabled; enable it before changing it."))
    RECORD_STATE_UNCHANGED = ("RECORD_STATE_UNCHANGED", _l("%(kind)s %(id)s is already in that state."))
    MERGE_SELF = ("MERGE_INVALID", _l("A case cannot be merged with itself."))
    MERGE_CHOICES = ("MERGE_INVALID", _l("Some fields cannot be taken from the other case: %(count)s."))
    MERGE_MODULES = ("MERGE_INVALID", _l("Only two cases of the same module can be merged."))
    NOT_MERGED = ("NOT_MERGED", _l("Case %(id)s was not merged into case %(survivor)s."))
    MERGE_IN_PROGRESS = ("MERGE_IN_PROGRESS", _l("Another merge of one of these cases is under way. Try again in a "
                                                 "moment."))
    OWNER_UNKNOWN = ("BODY_INVALID", _l("There is no user %(user)s."))
    OWNER_DISABLED = ("BODY_INVALID", _l("User %(user)s is disabled."))
    OWNER_NOT_ENTITLED = ("BODY_INVALID", _l("User %(user)s cannot own this record: their role may not read it."))
    BASE_REVISION_UNKNOWN = ("BODY_INVALID", _l("The change is based on revision %(revision)s, but the record is only "
                                                "at revision %(current)s."))
    CHANGE_ID_REUSED = ("BODY_INVALID", _l("This change id was already used for another change; give each change "
                                           "its own id."))
    CONFLICT_CLOSED = ("CONFLICT_CLOSED", _l("This conflict was already resolved."))
    # Case work (server/workflow)
    RECIPIENT_UNKNOWN = ("RECIPIENT_INVALID", _l("There is no user %(user)s."))
    RECIPIENT_DISABLED = ("RECIPIENT_INVALID", _l("User %(user)s is disabled, or their agency is."))
    RECIPIENT_NOT_ENTITLED = ("RECIPIENT_INVALID", _l("User %(user)s cannot receive this: their role needs "
                                                      "%(permission)s on these records."))
    RECIPIENT_SELF = ("RECIPIENT_INVALID", _l("You cannot refer or transfer a case to yourself."))
    RECIPIENT_OWNER = ("RECIPIENT_INVALID", _l("User %(user)s already owns this case."))
    CONSENT_MISSING = ("CONSENT_MISSING", _l("The case does not record the consent this needs (%(fields)s). Record "
                                             "the consent first, or, if your role may, override it with a reason."))
    REFERRAL_EXISTS = ("REFERRAL_EXISTS", _l("User %(user)s already has a referral of this case (or of this "
                                             "service) in progress."))
    TRANSFER_PENDING = ("TRANSFER_PENDING", _l("The case already has a transfer waiting for an answer: revoke it "
                                               "first."))
    SERVICE_UNKNOWN = ("RECORD_INVALID", _l("The case has no service %(id)s."))
    TRANSITION_ANSWERED = ("TRANSITION_CLOSED", _l("%(kind)s %(id)s was already answered."))
    TRANSITION_CLOSED = ("TRANSITION_CLOSED", _l("%(kind)s %(id)s is over: it was done, rejected or revoked."))
    REFERRAL_NOT_ACCEPTED = ("TRANSITION_CLOSED", _l("Referral %(id)s must be accepted before it is marked done."))
    NOT_RECIPIENT = ("PERMISSION_DENIED", _l("Only the user it was sent to may answer %(kind)s %(id)s."))
    CASE_CLOSED = ("CASE_CLOSED", _l("Case %(id)s is closed: reopen it first."))
    CASE_NOT_CLOSED = ("CASE_NOT_CLOSED", _l("Case %(id)s is not closed."))
    CLOSURE_INCOMPLETE = ("CLOSURE_INCOMPLETE", _l("Fill in the closure form before closing the case: %(fields)s."))
    CLOSURE_NOT_APPROVED = ("CLOSURE_NOT_APPROVED", _l("Closing this case needs an approved closure approval: "
                                                       "request one, and close it once a supervisor has approved "
                                                       "it."))
    APPROVAL_PENDING = ("APPROVAL_PENDING", _l("An approval of this kind (%(type)s) is already waiting for a "
                                               "decision."))
    APPROVAL_NOT_REQUESTED = ("APPROVAL_NOT_REQUESTED", _l("No approval of this kind (%(type)s) is waiting for a "
                                                           "decision."))
    SELF_APPROVAL = ("PERMISSION_DENIED", _l("You requested this approval: another person must decide on it."))
    FLAG_REMOVED = ("FLAG_REMOVED", _l("This flag was already removed."))
    ALERT_STREAMS_FULL = ("ALERT_STREAMS_FULL", _l("The server is serving as many live alert streams as it can. "
                                                   "Try again in %(retry_after)s seconds."))
    MATCH_NOT_CONFIGURED = ("MATCH_NOT_CONFIGURED", _l("The published trace form has no matched_case_id field."))
    # Attachments (files of the records' upload fields)
    ATTACHMENT_FIELD_UNKNOWN = ("ATTACHMENT_FIELD_UNKNOWN", _l("This record has no field for files named %(field)s "
                                                               "(its fields for files: %(fields)s)."))
    ATTACHMENT_FILE_MISSING = ("BODY_INVALID", _l("Send the file as the part named \"file\" of a multipart/form-data "
                                                  "body."))
    ATTACHMENT_TOO_LARGE = ("ATTACHMENT_TOO_LARGE", _l("The file is too large for the field %(field)s, which takes "
                                                       "files of at most %(limit)s MB. Nothing was stored."))
    ATTACHMENT_TYPE_REFUSED = ("ATTACHMENT_TYPE_REFUSED", _l("The field %(field)s takes only these kinds of file: "
                                                             "%(allowed)s. The content of this file is none of them "
                                                             "(%(found)s). Nothing was stored."))
    ATTACHMENT_DAMAGED = ("ATTACHMENT_DAMAGED", _l("The file looks like %(type)s but cannot be read: it is damaged or "
                                                   "cut short. Its metadata could not be removed, so it was not "
                                                   "stored."))
    ATTACHMENTS_FULL = ("ATTACHMENTS_FULL", _l("The field %(field)s already holds %(limit)s files, as many as it "
                                               "takes: delete one first."))
    # Exports
    EXPORT_NOT_READY = ("EXPORT_NOT_READY", _l("The export is not ready yet (%(status)s)."))
    EXPORT_NOT_ALLOWED = ("EXPORT_NOT_ALLOWED", _l("Your role may no longer export these records, so this file "
                                                   "cannot be downloaded."))
    EXPORT_ACCESS_CHANGED = ("EXPORT_ACCESS_CHANGED", _l("What your role may see has changed since this export was "
                                                         "made. Start a new export."))
    EXPORT_KEY_CHANGED = ("EXPORT_KEY_CHANGED", _l("The password of this export can no longer be read (the server's "
                                                   "export key changed). Start the export again."))
    EXPORT_CANCELLED = ("EXPORT_CANCELLED", _l("The export was cancelled."))
    EXPORT_IDENTIFYING_DENIED = ("PERMISSION_DENIED", _l(
        "Your role exports these records only pseudonymised: the fields that identify a person are replaced by "
        "pseudonyms (identifying: hash) or left out (identifying: drop)."))
    # Data protection (server/services/retention.py, subject_access.py, consent_audit.py)
    RETENTION_RUNNING = ("RETENTION_RUNNING", _l("A retention run is already under way. Wait until it ends, then "
                                                 "run again: it goes on where the other stopped."))
    # Operations: upgrades (server/services/migrations.py), backups and restores (server/services/backups.py)
    DATABASE_TOO_NEW = ("DATABASE_TOO_NEW", _l(
        "The database has schema version %(version)s, written by a later release of Abri; this release knows up to "
        "version %(current)s. Install the release that wrote it, or restore a backup made by this one."))
    DATABASE_NOT_MIGRATED = ("DATABASE_NOT_MIGRATED", _l(
        "The database has schema version %(version)s and this release needs version %(current)s. Run abri migrate "
        "(ABRI_MIGRATE_ON_START is off)."))
    MIGRATION_BUSY = ("MIGRATION_BUSY", _l(
        "Another process is migrating the database and has not finished within %(seconds)s seconds. Try again "
        "once it has."))
    BACKUP_FOREIGN = ("BACKUP_FOREIGN", _l("%(file)s is not an Abri backup."))
    BACKUP_KEY_WRONG = ("BACKUP_KEY_WRONG", _l(
        "%(file)s cannot be opened with this password: it is not the one the backup was made with."))
    BACKUP_DAMAGED = ("BACKUP_DAMAGED", _l(
        "%(file)s is damaged (%(where)s): nothing was restored. Use another copy of the backup."))
    BACKUP_TOO_NEW = ("BACKUP_TOO_NEW", _l(
        "%(file)s was made by a later release of Abri (schema version %(version)s; this release knows up to "
        "%(current)s). Restore it with that release."))
    BACKUP_PASSWORD_MISSING = ("BACKUP_PASSWORD_MISSING", _l(
        "Give the backup's password: set ABRI_BACKUP_PASSWORD, or use --password-file."))
    BACKUP_PASSWORD_SHORT = ("BACKUP_PASSWORD_SHORT", _l(
        "A backup's password must have at least %(minimum)s characters."))
    BACKUP_NO_SNAPSHOT = ("BACKUP_NO_SNAPSHOT", _l(
        "The database cannot give a consistent snapshot (a standalone MongoDB server has neither snapshot reads nor "
        "transactions): run it as a replica set, even of one member."))
    RESTORE_UNFINISHED = ("RESTORE_UNFINISHED", _l(
        "A restore of %(file)s into this database was cut short: it holds only part of the backup. Run abri restore "
        "again (it starts over), or empty the database."))
    RESTORE_NOT_EMPTY = ("RESTORE_NOT_EMPTY", _l(
        "The database %(database)s already holds data (%(collections)s): a backup is restored only into an empty "
        "database. Choose another ABRI_MONGO_DB_NAME or an empty instance folder."))


CODES = frozenset(member.code for member in Error)  # every API code an error may carry


@dataclass
class Detail:
    """One failing field: a JSON pointer or dotted name, a stable rule code, a message template, its parameters."""

    field: str
    code: str
    message: Any
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, where: str, rule: Rule, **params: Any) -> "Detail":
        """The detail of `where` breaking `rule` of the rules vocabulary."""
        return cls(where, rule.code, rule.template, params)

    def as_json(self, locale: str | None = None) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": render(self.message, self.params, locale)}


def render_message(template: Any, params: dict[str, Any] | None = None, locale: str | None = None) -> str:
    """Localize a message template and fill its placeholders (server.messages.render)."""
    return render(template, params, locale)


class AbriError(Exception):
    """Base of every error Abri answers on purpose: `Error` member (or template and code), parameters, details."""

    status = 500
    error: Error | None = Error.INTERNAL_ERROR
    code: str = error.code
    message: Any = error.template

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "error" in cls.__dict__:  # a kind names its default member of the catalogue
            cls.code, cls.message = cls.error.code, cls.error.template

    def __init__(self, message: Any = None, *, code: str | None = None,
                 details: list[Detail] | None = None, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None, **params: Any) -> None:
        if isinstance(message, Error):  # the catalogue's form
            self.error, message, code = message, message.template, message.code
        elif message is not None or code is not None:  # the older form: a template and a code of their own
            self.error = None
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.params = params
        self.details = details or []
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(f"{self.code}: {render(self.message, params)}")

    def rendered(self, locale: str | None = None) -> str:
        """The message in `locale` (the ambient language when None)."""
        return render(self.message, self.params, locale)

    def as_json(self, locale: str | None = None) -> dict[str, Any]:
        body = {"code": self.code, "message": self.rendered(locale),
                "details": [detail.as_json(locale) for detail in self.details]}
        body.update(self.extra)
        return {"error": body}


class BadRequest(AbriError):
    """The request cannot be read as it is."""
    status, error = 400, Error.BAD_REQUEST


class Unauthorized(AbriError):
    """Who is asking is not known."""
    status, error = 401, Error.AUTHENTICATION_REQUIRED


class Forbidden(AbriError):
    """The caller may not do this."""
    status, error = 403, Error.PERMISSION_DENIED


class NotFound(AbriError):
    """There is no such thing (or the caller may not know it exists)."""
    status, error = 404, Error.NOT_FOUND


class MethodNotAllowed(AbriError):
    status, error = 405, Error.METHOD_NOT_ALLOWED


class Conflict(AbriError):
    """The current state refuses the change."""
    status, error = 409, Error.CONFLICT


class PreconditionFailed(AbriError):
    """The caller's revision is not the stored one."""
    status, error = 412, Error.STALE_REVISION


class PayloadTooLarge(AbriError):
    status, error = 413, Error.PAYLOAD_TOO_LARGE


class UnsupportedMediaType(AbriError):
    """The content is not of a kind this place takes (by its bytes, whatever its name or declared type)."""
    status, error = 415, Error.ATTACHMENT_TYPE_REFUSED


class Unprocessable(AbriError):
    """The content breaks a rule."""
    status, error = 422, Error.BODY_INVALID


class ServiceUnavailable(AbriError):
    status, error = 503, Error.STORAGE_UNAVAILABLE
