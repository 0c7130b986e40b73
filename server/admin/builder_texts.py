"""The texts of the form builder's and the dashboard's scripts: rule pickers (operators in words, sentences),
positions, changes as sentences, the publish confirmation; and signing in again in place (lib/session_dialog.js)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from server.metadata.problems import EXPRESSION_REASONS

# An operator is read between a field's label and its value: "Sex" + "is" + "Female".
OPERATOR_WORDS = {
    "op_is": _l("is"), "op_is_not": _l("is not"), "op_is_one_of": _l("is one of"),
    "op_contains": _l("contains"), "op_not_contains": _l("does not contain"),
    "op_contains_one_of": _l("contains one of"), "op_is_empty": _l("is empty"), "op_is_not_empty": _l("is not empty"),
    "op_is_ticked": _l("is ticked"), "op_is_not_ticked": _l("is not ticked"), "op_equals": _l("equals"),
    "op_not_equals": _l("does not equal"), "op_greater": _l("is greater than"), "op_at_least": _l("is at least"),
    "op_less": _l("is less than"), "op_at_most": _l("is at most"), "op_on": _l("is on"), "op_before": _l("is before"),
    "op_after": _l("is after"), "op_on_or_before": _l("is on or before"), "op_on_or_after": _l("is on or after"),
}

BUILDER_TEXTS = {
    **OPERATOR_WORDS,
    **{f"expr_{code}": reason for code, reason in EXPRESSION_REASONS.items()},
    "list_and": _l("%(items)s and %(last)s"), "list_or": _l("%(items)s or %(last)s"),
    "shown_when": _l("Shown when %(conditions)s."), "shown_always": _l("Always shown."),
    "show_when": _l("Show the field when"), "all_of": _l("all of these conditions hold"),
    "any_of": _l("at least one of these conditions holds"), "join_label": _l("How the conditions combine"),
    "add_condition": _l("Add a condition"), "remove_condition": _l("Remove this condition"),
    "pick_field": _l("Field"), "pick_operator": _l("Comparison"), "pick_value": _l("Value"),
    "advanced_json": _l("Advanced: edit as JSON"),
    "too_complex": _l("The lists cannot show this expression: change it as JSON, or empty it to start again."),
    "unknown_field": _l("%(name)s is not a field of this form."),
    "not_a_calculation": _l("A calculation adds up or averages numbers: use sum or avg."),
    "not_a_condition": _l("A condition compares fields: sum and avg compute numbers, not a condition."),
    "calc_none": _l("Nothing is calculated yet."), "calc_sum": _l("The sum of %(items)s."),
    "calc_avg": _l("The average of %(items)s."), "calc_kind": _l("Calculate"), "calc_kind_sum": _l("the sum"),
    "calc_kind_avg": _l("the average"), "calc_fields": _l("Of the fields"),
    "calc_constant": _l("And of the number (optional)"),
    "at_the_end": _l("At the end"), "at_the_top": _l("At the top"), "after_field": _l("After “%(field)s”"),
    "quoted": _l("“%(text)s”"), "kind_form": _l("Form"), "kind_lookup": _l("Options list"), "kind_role": _l("Role"),
    "kind_module": _l("Module"), "kind_location": _l("Places"),
    "document_added": _l("%(kind)s “%(name)s”: added."),
    "document_removed": _l("%(kind)s “%(name)s”: removed."),
    "document_changed": _l("%(kind)s “%(name)s” — %(items)s."), "part_separator": _l("; "),
    "new_fields": _l("fields added: %(items)s"), "fields_gone": _l("fields removed: %(items)s"),
    "field_with_records": _l("“%(text)s” (records holding data for it: %(count)s)"),
    "field_changed": _l("“%(text)s” changed: %(items)s"), "field_moved_to": _l("“%(text)s” (moved to “%(form)s”)"),
    "fields_moved": _l("fields reordered"),
    "new_options": _l("options added: %(items)s"), "options_gone": _l("options removed: %(items)s"),
    "options_relabelled": _l("options renamed, switched on or off: %(items)s"),
    "properties_changed": _l("properties changed: %(items)s"),
    "publish_title": _l("Publish version %(version)s?"), "publish_confirm": _l("Publish to the devices"),
    "publish_reach": _l("Active users who will receive this version: %(users)s; registered tablets: %(devices)s."),
    "publish_records_kept": _l("Values that records hold for the removed fields: %(count)s. The records keep them, "
                               "but no form shows them any more."),
    "comment_needed": _l("Say in a few words what this version changes: the history and the users of the devices "
                         "read it."),
    "session_ended_title": _l("Your session has ended"),
    "session_ended_keep": _l("Sign in again to go on: what you were doing is kept and saved once you are back."),
    "user_name": _l("User name"), "password": _l("Password"), "sign_in_and_continue": _l("Sign in and go on"),
    "go_to_login": _l("Leave for the login page (what you were doing is lost)"),
    "move_button": _l("Move"), "move_title": _l("Move “%(field)s” to another form"),
    "move_to_form": _l("To the form"), "move_where": _l("Its place there"),
    "move_keeps_data": _l("The field keeps its name and its type: the data records hold for it stay, shown in the "
                          "other form once the version is published."),
    "moved": _l("“%(field)s” is now in the form “%(form)s”."),
    "documents_changed": _l("Documents changed: %(count)s"), "show_changes": _l("Show the changes"),
}
