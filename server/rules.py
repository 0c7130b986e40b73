"""The rules vocabulary: what a failing field broke, one wording per rule, in every language.

Record data (server/records/validation.py), metadata documents (server/metadata/documents.py, files.py), the
configuration checks (server/metadata/checks.py: CHECK_RULES, one per check code) and request parameters and bodies
(server/api) report a failing field as a Detail naming a member of `Rule`: its
`code` is the stable rule code clients read ("required", "type", "range", ...), its template the one wording of
that rule. Members share a code where one rule is worded after what it is about (a field of the published forms is
`unknown` as a key of a request is, but says where to look).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from server.messages import _l


class Rule(Enum):
    """Rule code and message template of each way a value can fail."""

    def __init__(self, code: str, template: Any) -> None:
        self.code = code
        self.template = template

    # Presence and shape
    REQUIRED = ("required", _l("This field is required."))
    BLANK = ("blank", _l("Must not be empty or only spaces."))
    ONE_OF = ("one_of", _l("Give exactly one of: %(names)s."))
    UNKNOWN = ("unknown", _l("This field is not allowed here."))
    UNKNOWN_FORM_FIELD = ("unknown", _l("There is no such field in the published forms."))
    NULL = ("type", _l("Must not be null."))
    TYPE = ("type", _l("Must be of type %(expected)s."))
    TYPE_INTEGER = ("type", _l("Must be an integer."))
    TYPE_NUMBER = ("type", _l("Must be a number."))
    TYPE_TEXT = ("type", _l("Must be a text."))
    TYPE_BOOLEAN = ("type", _l("Must be true or false."))
    TYPE_OBJECT = ("type", _l("Must be an object."))
    TYPE_LIST = ("type", _l("Must be a list."))
    INVALID = ("invalid", _l("Is not valid."))
    # Values
    ENUM = ("enum", _l("Must be one of: %(allowed)s."))
    OPTION = ("enum", _l("%(value)s is not one of the options of this field."))
    DISABLED_OPTION = ("disabled_option", _l("The option %(value)s is disabled and cannot be chosen any more."))
    FORMAT = ("format", _l("Must be a %(expected)s (for example %(example)s)."))
    DATE_TIME = ("format", _l("Must be a date and time with its offset (for example %(example)s)."))
    EMAIL = ("format", _l("Must be an email address."))
    PATTERN = ("pattern", _l("Is not in the expected form."))
    PATTERN_HINT = ("pattern", _l("Is not in the expected form: %(hint)s."))
    PATTERN_OF = ("pattern", _l("Does not match the pattern %(pattern)s."))
    MINIMUM = ("minimum", _l("Must be at least %(limit)s."))
    MAXIMUM = ("maximum", _l("Must be at most %(limit)s."))
    RANGE = ("range", _l("Must be between %(min)s and %(max)s."))
    INT64_RANGE = ("int64_range", _l("Must be a whole number between %(min)s and %(max)s."))
    NOT_FINITE = ("not_finite", _l("Must be a finite number (NaN and Infinity are not JSON numbers)."))
    MIN_LENGTH = ("min_length", _l("Must be at least %(limit)s characters."))
    MAX_LENGTH = ("max_length", _l("Must be at most %(limit)s characters long."))
    MIN_ITEMS = ("min_items", _l("Has fewer than %(limit)s items."))
    MAX_ITEMS = ("max_items", _l("Must have at most %(limit)s items."))
    UNIQUE_ITEMS = ("unique_items", _l("Must not repeat a value."))
    MIN_PROPERTIES = ("min_properties", _l("Must not be empty."))
    MAX_PROPERTIES = ("max_properties", _l("Must have at most %(limit)s properties."))
    PROPERTY_NAMES = ("property_names", _l("Has a key that is not allowed: %(value)s."))
    FUTURE_DATE = ("future_date", _l("Must not be in the future."))
    PAST_DATE = ("past_date", _l("Must not be in the past."))
    # Texts and keys no database may hold
    NUL = ("nul", _l("Text may not contain the NUL character."))
    SURROGATE = ("surrogate", _l("Text may not contain unpaired surrogates (not valid Unicode)."))
    KEY_FORBIDDEN = ("key_forbidden", _l("Keys may not start with $ or contain a dot."))
    MAX_DEPTH = ("max_depth", _l("Nested more than %(limit)s levels deep."))
    TOO_DEEP = ("max_depth", _l("Nested too deeply."))
    # Record data
    READ_ONLY = ("read_only", _l("This field is calculated by the server and cannot be written."))
    WORKFLOW_ONLY = ("workflow_only", _l("This field is set by the server or a workflow and cannot be written."))
    ATTACHMENTS_ONLY = ("attachments_only", _l("This field holds files: add them with POST "
                                               ".../attachments/<field> and remove them with DELETE "
                                               ".../attachments/<id>, not by writing the record."))
    LOCATION = ("location", _l("%(value)s is not a known location code."))
    BOUNDARY_POINTS = ("boundary_points", _l(
        "Each ring of a polygon needs at least four points of a longitude (-180 to 180) and a latitude (-90 to 90)."))
    LOCATION_LEVEL = ("location_level", _l("Choose a place of admin level %(level)s (%(value)s is at level "
                                           "%(actual)s)."))
    DESTROY_ROW = ("destroy_row", _l("A row to remove holds only its unique_id and \"_destroy\": true."))
    DUPLICATE_ROW = ("duplicate_row", _l("Another row of this list has the same unique_id."))
    NOT_WRITABLE = ("forbidden", _l("Not writable with your role."))
    HIDDEN_FIELDS = ("hidden_fields", _l("Fields your role may not see are not valid; someone who may see them must "
                                         "correct them first."))
    UUID = ("format", _l("Must be a UUID such as %(example)s."))
    GZIP = ("format", _l("Not a valid gzip stream."))
    SYNC_TOKEN = ("format", _l("Not a token this server gave: send the next_token of a previous pull, or none to "
                               "start again."))
    BASE_REVISION = ("range", _l("At most the record's current revision, %(current)s."))
    CHANGE_ID_REUSED = ("unique", _l("Already the id of another change."))
    USER_UNKNOWN = ("unknown", _l("There is no such user."))
    OWNER_DISABLED = ("disabled", _l("This user is disabled."))
    OWNER_NOT_ENTITLED = ("not_entitled", _l("This user's role may not read this record."))
    RECIPIENT_NOT_ENTITLED = ("not_entitled", _l("This user's role may not receive it: it needs %(permission)s "
                                                 "on these records."))
    RECIPIENT_SELF = ("invalid", _l("Choose someone other than yourself."))
    RECIPIENT_OWNER = ("invalid", _l("This user already owns the case."))
    CONSENT_REQUIRED = ("consent_required", _l("Consent is needed here (%(allowed)s), or an override with a reason."))
    SERVICE_UNKNOWN = ("unknown", _l("The case has no service row with this id."))
    MERGE_CHOICE = ("merge_choice", _l("Choose both for a subform (its rows are added), other for any other field."))
    # Request parameters
    INVALID_REASON = ("invalid", _l("Not a valid value: %(reason)s"))
    LOCALE = ("enum", _l("Not a configured language."))
    PARAMETER_FORMAT = ("format", _l("Expected a %(kind)s such as %(example)s."))
    RANGE_BOUND = ("format", _l("A range needs at least one bound."))
    FILTER_UNKNOWN = ("unknown", _l("Not a filter of this list; filterable fields: %(allowed)s."))
    FILTER_VALUE = ("type", _l("Must be a value, a list of values, or a range such as 10..15."))
    SORT_UNKNOWN = ("unknown", _l("Cannot sort by %(field)s; sortable: %(allowed)s."))
    FIELDS_UNKNOWN = ("unknown", _l("Unknown fields: %(names)s."))
    PAGE_WINDOW = ("page_window", _l("Pages reach at most the first %(limit)s records: follow next_cursor beyond."))
    SORT_TOO_BROAD = ("too_broad", _l("Sorting by %(field)s reads every record listed, at most %(limit)s: filter "
                                      "the list first, or sort by last update."))
    CURSOR = ("cursor", _l("Not a cursor of this list: use the next_cursor of a page listed in the same order."))
    MAX_WORDS = ("max_words", _l("Has more than %(limit)s words."))
    # Configuration documents and folders
    JSON = ("json", _l("Not valid JSON: %(reason)s"))
    FILE_NAME = ("file_name", _l("The file must be named %(expected)s."))
    FORM_UNKNOWN = ("form_unknown", _l("There is no form %(form)s."))
    GRANT_INVALID = ("grant_invalid", _l("Name a role of the configuration and give it r or rw."))
    FIELD_NAME_LIST = ("field_name_list", _l("Give a list of field names."))
    ID_USED = ("unique", _l("This id is already used."))
    NAME_USED = ("unique", _l("This name is already used in the form."))
    IMMUTABLE = ("immutable", _l("Must stay %(id)s."))
    MANAGE_METADATA = ("forbidden", _l("Needs the metadata: manage permission."))
    USES = ("in_use", _l("Uses %(id)s."))
    VALUE_IN_USE = ("in_use", _l("The value %(value)s is held by records: %(total)s (cases: %(case)s, incidents: "
                                 "%(incident)s, tracing requests: %(tracing_request)s). Disable it instead of removing "
                                 "it."))
    NOT_A_FIELD = ("unknown", _l("Not a field of this form."))
    MOVE_TARGET = ("move_target", _l("A field moves to another form of the same record type (a subform's field to "
                                     "another subform)."))
    MISSING_FROM_ORDER = ("required", _l("Missing from the new order."))
    LISTED_TWICE = ("duplicate", _l("Listed more than once."))
    # Translation spreadsheets
    TRANSLATION_LOCALE = ("enum", _l("Not a language to translate into."))
    TRANSLATION_KEY_UNKNOWN = ("unknown_key", _l("Row %(row)s: this key does not exist (kind, document, field, option "
                                                 "and property must not be changed)."))
    TRANSLATION_DEFAULT_CHANGED = ("changed_key", _l("Row %(row)s: the default-language text was changed; change "
                                                     "only the %(locale)s column."))
    XLSX_FILE = ("format", _l("Upload the .xlsx file downloaded from Abri."))
    SHEET_MAX_ROWS = ("max_rows", _l("More than %(limit)s rows."))
    SHEET_MAX_PARTS = ("max_parts", _l("More than %(limit)s parts in the file."))
    SHEET_MAX_UNPACKED = ("max_unpacked_size", _l("Unpacks to more than %(limit)s bytes."))
    SHEET_MAX_ELEMENTS = ("max_elements", _l("More than %(limit)s XML elements."))
    SHEET_MAX_SHEETS = ("max_sheets", _l("More than %(limit)s sheets."))
    SHEET_MAX_CELLS = ("max_cells_per_row", _l("More than %(limit)s cells in a row."))
    # Places (CSV imports)
    CSV_ENCODING = ("encoding", _l("Row %(row)s is not UTF-8 text: save the file as CSV (UTF-8)."))
    CSV_MAX_ROWS = ("max_rows", _l("Too many rows."))
    CSV_MAX_COLUMNS = ("max_columns", _l("Row %(row)s has more than %(limit)s columns."))
    CELL_TOO_LONG = ("max_length", _l("Row %(row)s: a cell is longer than %(limit)s characters."))
    CELL_NUL = ("nul", _l("Row %(row)s: a cell contains the NUL character."))
    CELL_CONTROL = ("control", _l("Row %(row)s: a cell contains a control character (a line break, a tab or a "
                                  "text direction mark)."))
    HXL_ROW = ("hxl", _l("Add a row of HXL hashtags under the header."))
    HXL_CODE_COLUMN = ("hxl", _l("Admin level %(level)s has no code column."))
    PLACE_CODE_MISSING = ("required", _l("Row %(row)s: the admin level %(level)s code is empty."))
    PLACE_CODE = ("pattern", _l("Row %(row)s: %(code)s is not a valid code (A-Z, 0-9, - and _, at most %(limit)s "
                                "characters)."))
    PLACE_ROOT = ("root", _l("Row %(row)s: %(code)s is not the country of this hierarchy (%(root)s)."))
    PLACE_EXISTS = ("duplicate", _l("Row %(row)s: %(code)s is already a place of %(hierarchy)s."))
    PLACE_NAME_MISSING = ("required", _l("Row %(row)s: %(code)s has no name in %(language)s."))
    PLACE_CONFLICT = ("conflict", _l("Row %(row)s: %(code)s already appears with another level or parent."))
    PLACE_CODE_REPEATED = ("duplicate", _l("Row %(row)s: the code %(code)s is already used by row %(first)s."))
    PLACE_NAME_CONFLICT = ("conflict_name", _l("Row %(row)s: %(code)s already appears in row %(first)s with another "
                                               "name (%(name)s)."))
    PLACE_IN_USE = ("in_use", _l("%(code)s (%(name)s) is used by records: %(total)s (cases: %(case)s, incidents: "
                                 "%(incident)s, tracing requests: %(tracing_request)s)."))
    # Accounts and rights
    ROLE_UNKNOWN = ("enum", _l("There is no published role %(id)s."))
    AGENCY_UNKNOWN = ("enum", _l("There is no agency %(id)s."))
    USER_GROUP_UNKNOWN = ("enum", _l("There is no user group %(id)s."))
    USER_NAME = ("pattern", _l("Use 2 to 100 letters, digits, . _ - (no space); %(reserved)s are reserved. Upper and "
                               "lower case and character width do not make another name."))
    ENTITY_ID = ("pattern", _l("Use 2 to 100 lowercase letters, digits, . _ - (the whole id, no space or line "
                               "break)."))
    PASSWORD_INCORRECT = ("incorrect", _l("Not the current password."))
    PASSWORD_CONTAINS_NAME = ("contains_name", _l("Must not contain the user name or the person's name."))
    PASSWORD_REPETITIVE = ("repetitive", _l("Must not be mostly repeated or sequential characters (aaaa, 1234, abcd, "
                                            "qwerty)."))
    PASSWORD_COMMON = ("common", _l("This is one of the most common passwords, even with digits or a date added."))
    PASSWORD_GUESSABLE = ("guessable", _l("Too easy to guess: use a longer passphrase, for example four unrelated "
                                          "words."))
    ASSIGNABLE = ("assignable", _l("Not one of the roles your role may assign."))
    EXCEEDS_GRANTER = ("exceeds_granter", _l("The role grants %(right)s."))
    EXCEEDS_EDITOR = ("exceeds_editor", _l("Beyond what your role may give."))
    WIDENING = ("widening", _l("Would give you more access."))
    SELF = ("self", _l("Only another administrator may change your own rights."))
    AGENCY_USERS_NOT_MANAGEABLE = ("manageable", _l("Users of this agency are not yours to disable."))
    ROLE_CHANGED = ("role_manage", _l("Changed in the draft."))
    # Exports
    READABLE_FORM = ("enum", _l("Not a form you may read."))
    READABLE_FIELD = ("enum", _l("Not a field you may read."))
    DISABLED_NEED_READ = ("forbidden", _l("Only a role that reads these records may ask for disabled ones."))
    INCLUDE_DISABLED = ("include_disabled", _l("Disabled records are exported only with include_disabled."))
    EXPORT_IDENTIFYING = ("forbidden", _l("Needs the %(resource)s: export_identifying permission; without it, choose "
                                          "hash (pseudonyms) or drop (left out)."))
    PARTNER_OWN = ("forbidden", _l("Without the export_identifying permission, exports hold the pseudonyms of your "
                                   "own agency only."))
    PARTNER_NEEDS_HASH = ("invalid", _l("A partner agency is chosen only with identifying: hash."))
    # Configuration checks (server/metadata/checks.py): one per cross-reference rule, named by its check code
    FIELD_NAME_DUPLICATE = ("FIELD_NAME_DUPLICATE", _l("The field name %(name)s is used more than once in this form."))
    FIELD_INCONSISTENT = ("FIELD_INCONSISTENT", _l(
        "The field %(name)s has %(attribute)s %(this)s here but %(other)s in form %(other_form)s: a field name "
        "used in several forms of a record type has one definition (only its labels, help texts and layout may "
        "differ)."))
    LOOKUP_MISSING = ("LOOKUP_MISSING", _l("The lookup %(lookup)s does not exist."))
    SUBFORM_TARGET_REQUIRED = ("SUBFORM_TARGET_REQUIRED", _l(
        "A subform field must name its nested form in subform_section_id."))
    SUBFORM_MISSING = ("SUBFORM_MISSING", _l("The nested form %(target)s does not exist."))
    SUBFORM_NOT_NESTED = ("SUBFORM_NOT_NESTED", _l(
        "The form %(target)s is not marked is_nested, so it cannot be used as a subform."))
    SUBFORM_RECORD_TYPE = ("SUBFORM_RECORD_TYPE", _l(
        "The nested form %(target)s belongs to %(other)s, not to %(record_type)s."))
    SUBFORM_FIELD_UNKNOWN = ("SUBFORM_FIELD_UNKNOWN", _l("The nested form %(target)s has no field %(name)s."))
    NESTED_FORM_UNUSED = ("NESTED_FORM_UNUSED", _l("No subform field uses this nested form."))
    OPTIONS_REQUIRED = ("OPTIONS_REQUIRED", _l(
        "A %(type)s needs options: a lookup in option_strings_source or inline options."))
    FIELD_ATTRIBUTE_UNUSED = ("FIELD_ATTRIBUTE_UNUSED", _l(
        "A field of the type “%(type)s” does not use “%(attribute)s”: it has no effect here."))
    OPTIONS_AMBIGUOUS = ("OPTIONS_AMBIGUOUS", _l("Give the options either from a lookup or inline, not both."))
    OPTION_ID_DUPLICATE = ("OPTION_ID_DUPLICATE", _l("The option id %(option)s is used more than once in this list."))
    LABEL_MISSING_DEFAULT = ("LABEL_MISSING_DEFAULT", _l(
        "This label has no text in the default language (%(language)s)."))
    TRANSLATION_INCOMPLETE = ("TRANSLATION_INCOMPLETE", _l(
        "%(missing)s of %(total)s labels have no %(language)s translation (%(coverage)s%% translated)."))
    PUBLISHED_FIELD_CHANGED = ("PUBLISHED_FIELD_CHANGED", _l(
        "The field %(name)s was published as %(published)s and records hold values for it; its %(attribute)s "
        "cannot change. Add a field with a new name instead."))
    EXPRESSION_INVALID = ("EXPRESSION_INVALID", _l("The expression is not valid: %(reason)s."))
    EXPRESSION_FIELD_UNKNOWN = ("EXPRESSION_FIELD_UNKNOWN", _l(
        "The expression uses %(name)s, which is not a field of this form."))
    CALCULATION_REQUIRED = ("CALCULATION_REQUIRED", _l("A calculated field needs a calculation (sum or avg)."))
    CALCULATION_MISPLACED = ("CALCULATION_MISPLACED", _l("Only calculated fields have a calculation."))
    PATTERN_INVALID = ("PATTERN_INVALID", _l("The pattern is not a valid regular expression: %(reason)s."))
    PATTERN_UNSUPPORTED = ("PATTERN_UNSUPPORTED", _l(
        "The pattern uses %(feature)s, which validation patterns cannot use: they are matched in linear time, "
        "without backtracking. Rewrite it without backreferences, lookarounds, atomic groups or possessive "
        "quantifiers."))
    PATTERN_TOO_LONG = ("PATTERN_TOO_LONG", _l("The pattern is longer than %(limit)s characters."))
    PATTERN_TOO_COMPLEX = ("PATTERN_TOO_COMPLEX", _l(
        "The pattern is too large to match quickly (%(reason)s): use smaller repetition counts (at most 1000) or "
        "narrower character classes."))
    IDENTIFIER_INVALID = ("IDENTIFIER_INVALID", _l(
        "%(value)s is not a valid identifier: the whole text must match %(rule)s (no space, newline or other "
        "character around it)."))
    RANGE_INVALID = ("RANGE_INVALID", _l("min_value (%(min)s) is greater than max_value (%(max)s)."))
    MODULE_MISSING = ("MODULE_MISSING", _l("The module %(module)s does not exist."))
    MODULE_RECORD_TYPE = ("MODULE_RECORD_TYPE", _l("The module %(module)s does not hold %(record_type)s records."))
    LOCATION_CODE_DUPLICATE = ("LOCATION_CODE_DUPLICATE", _l("The location code %(code)s is used more than once."))
    LOCATION_PARENT_UNKNOWN = ("LOCATION_PARENT_UNKNOWN", _l("The parent %(parent)s of %(code)s does not exist."))
    LOCATION_LEVEL_INVALID = ("LOCATION_LEVEL_INVALID", _l(
        "%(code)s is at admin level %(level)s but its parent %(parent)s is at level %(parent_level)s."))
    LOCATION_LEVEL_UNDECLARED = ("LOCATION_LEVEL_UNDECLARED", _l(
        "%(code)s is at admin level %(level)s, which admin_levels does not declare."))
    ROLE_FORM_UNKNOWN = ("ROLE_FORM_UNKNOWN", _l("The role gives access to %(form)s, which is not a top-level form."))
    ROLE_PERMISSION_UNKNOWN = ("ROLE_PERMISSION_UNKNOWN", _l("Unknown permission %(resource)s: %(action)s."))
    ROLE_MODULE_UNKNOWN = ("ROLE_MODULE_UNKNOWN", _l("The module %(module)s does not exist."))
    ROLE_ASSIGNABLE_UNKNOWN = ("ROLE_ASSIGNABLE_UNKNOWN", _l(
        "The role lets its users assign %(role)s, which is not a role."))
    LOCKED_LOOKUP_CHANGED = ("LOCKED_LOOKUP_CHANGED", _l(
        "The lookup is locked: its values can be translated, but not added, removed or given new ids "
        "(%(change)s)."))
    LOCKED_LOOKUP_UNLOCK_WITH_CHANGES = ("LOCKED_LOOKUP_UNLOCK_WITH_CHANGES", _l(
        "The lookup is unlocked in this draft but published locked: publish the unlock on its own first, then "
        "change its values (%(change)s)."))
    CONDITION_OPTION_UNKNOWN = ("CONDITION_OPTION_UNKNOWN", _l(
        "The condition compares %(name)s with %(value)s, which is not one of its options (%(options)s)."))
    CALCULATION_OPERAND_NOT_NUMBER = ("CALCULATION_OPERAND_NOT_NUMBER", _l(
        "sum and avg add numbers, but %(name)s is a %(type)s field; use number or calculated fields."))
    EXPRESSION_CYCLE = ("EXPRESSION_CYCLE", _l(
        "The field %(name)s depends on itself through display conditions or calculations: %(cycle)s."))
    WORKFLOW_FIELD_UNKNOWN = ("WORKFLOW_FIELD_UNKNOWN", _l(
        "The workflow names %(name)s, which is not a field of the module's case forms there."))
    WORKFLOW_TASK_NO_DUE_DATE = ("WORKFLOW_TASK_NO_DUE_DATE", _l(
        "The task %(task)s has no due date: give it a due_field, or due_days after a date field."))
    WORKFLOW_ID_DUPLICATE = ("WORKFLOW_ID_DUPLICATE", _l("The id %(id)s is used more than once."))
    WORKFLOW_CLOSURE_APPROVAL_MISSING = ("WORKFLOW_CLOSURE_APPROVAL_MISSING", _l(
        "Closing requires an approval, but the workflow has no closure approval: add one to approvals."))
    MATCHING_FIELD_UNKNOWN = ("MATCHING_FIELD_UNKNOWN", _l(
        "The matching rules name %(name)s, which is not a field of the module's forms there."))
    MATCHING_FIELD_TYPE = ("MATCHING_FIELD_TYPE", _l(
        "The matching rules compare %(name)s, a %(type)s field, where they can read only these types: %(types)s."))
    MATCHING_THRESHOLDS = ("MATCHING_THRESHOLDS", _l(
        "The score of a possible duplicate (%(possible)s) is above that of a likely one (%(likely)s)."))
    MATCHING_NO_CHILD_NAME = ("MATCHING_NO_CHILD_NAME", _l(
        "The first name comparison must be of the child's own name fields (not a subform's): candidates are found "
        "by it."))
    MATCHING_BIRTH_FIELDS = ("MATCHING_BIRTH_FIELDS", _l(
        "A birth comparison has at most two fields: a date of birth, then an age."))
    MATCHING_TRACE_NOT_COMPARED = ("MATCHING_TRACE_NOT_COMPARED", _l(
        "A trace's field is compared as %(name)s, which the matching rules do not compare."))
    # Reports (server/reports/definition.py)
    REPORT_SUBFORM_UNKNOWN = ("REPORT_SUBFORM_UNKNOWN", _l(
        "The report counts the rows of %(name)s, which is not a subform of its record type."))
    REPORT_EVENTS_MISSING = ("REPORT_EVENTS_MISSING", _l("A report of events names at least one event."))
    REPORT_FIELD_UNKNOWN = ("REPORT_FIELD_UNKNOWN", _l(
        "The report names %(name)s, which is not a field of the %(record_type)s forms."))
    REPORT_FIELD_IDENTIFYING = ("REPORT_FIELD_IDENTIFYING", _l(
        "%(name)s identifies a person: a report may not group or filter by it."))
    REPORT_FIELD_TYPE = ("REPORT_FIELD_TYPE", _l(
        "%(name)s is a %(type)s field; here a report reads these types: %(expected)s."))
    REPORT_FACT_UNIT = ("REPORT_FACT_UNIT", _l(
        "%(fact)s is not something a report counting %(unit)s can read here."))
    REPORT_DIMENSION_SHAPE = ("REPORT_DIMENSION_SHAPE", _l("A row or column names either a field or a fact."))
    REPORT_FILTER_SHAPE = ("REPORT_FILTER_SHAPE", _l(
        "A filter names either a field or a fact, and a condition: in, lt, le, gt or ge."))
    REPORT_FILTER_ORDER = ("REPORT_FILTER_ORDER", _l(
        "%(name)s has no order: filter it with in, or choose a number or date field."))
    REPORT_FILTER_VALUE = ("REPORT_FILTER_VALUE", _l(
        "The bound of %(name)s must be a number for a number field, a date (YYYY-MM-DD) for a date field."))
    REPORT_BANDS_MISSING = ("REPORT_BANDS_MISSING", _l(
        "%(name)s is a number: give the bands to group it by (for ages: 0, 6, 12, 18)."))
    REPORT_BANDS_ORDER = ("REPORT_BANDS_ORDER", _l("The bands must go from the smallest to the largest."))
    REPORT_PERIOD_MISSING = ("REPORT_PERIOD_MISSING", _l(
        "%(name)s is a date: choose the period to group it by (month, quarter or year)."))
    REPORT_LEVEL_UNKNOWN = ("REPORT_LEVEL_UNKNOWN", _l(
        "Choose the level of places to group %(name)s by, among those of the location hierarchy: %(levels)s."))
    REPORT_DURATION_END_MISSING = ("REPORT_DURATION_END_MISSING", _l(
        "A duration needs the date it starts from and the date it ends at."))
    REPORT_ROLE_UNKNOWN = ("REPORT_ROLE_UNKNOWN", _l("The report is shown on the dashboard of %(role)s, which is not a role."))
    REPORT_MAP_NEEDS_PLACES = ("REPORT_MAP_NEEDS_PLACES", _l(
        "A map shows places: make a location field the first row of the report."))
    REPORT_MODULE_UNKNOWN = ("REPORT_MODULE_UNKNOWN", _l("The report names the module %(id)s, which does not exist."))
    RETENTION_ID_DUPLICATE = ("RETENTION_ID_DUPLICATE", _l("The retention rule id %(id)s is used more than once."))
    RETENTION_RECORD_TYPE = ("RETENTION_RECORD_TYPE", _l(
        "The retention rule %(id)s is about %(record_type)s records, which the module does not hold."))
    RETENTION_FROM_UNKNOWN = ("RETENTION_FROM_UNKNOWN", _l(
        "The retention rule %(id)s counts from %(name)s, which is neither a date field of the module's "
        "%(record_type)s forms nor one of %(moments)s."))
    RETENTION_NOTHING_IDENTIFYING = ("RETENTION_NOTHING_IDENTIFYING", _l(
        "The retention rule %(id)s pseudonymises %(record_type)s records, but no field of their forms is marked "
        "identifying: it would remove nothing."))
    IDENTIFYING_UNMARKED = ("IDENTIFYING_UNMARKED", _l(
        "The field %(name)s is not marked identifying, yet %(reason)s: pseudonymised exports and the retention "
        "rules would keep it. Mark it identifying if it names or identifies a person."))


CODES = frozenset(rule.code for rule in Rule)


@dataclass
class Violation:
    """A rule broken by a value, before anyone knows where the value sits (a marshmallow field's error)."""

    rule: Rule
    params: dict[str, Any] = field(default_factory=dict)


# The rule of each configuration check code.
CHECK_RULES = {rule.code: rule for rule in Rule if rule.code.isupper()}
