"""The texts of the import and export page's script (a Primero configuration in, forms out and in as XLSForm)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

INTEROP_TEXTS = {
    # The elements of a configuration: plural in the tables, singular before an element's name.
    "primero_kind_form": _l("Forms"), "primero_kind_field": _l("Fields"), "primero_kind_lookup": _l("Lookups"),
    "primero_kind_role": _l("Roles"), "primero_kind_permission": _l("Permissions"),
    "primero_kind_module": _l("Modules"), "primero_kind_location": _l("Places"),
    "item_kind_form": _l("Form"), "item_kind_field": _l("Field"), "item_kind_lookup": _l("Lookup"),
    "item_kind_role": _l("Role"), "item_kind_permission": _l("Permission"), "item_kind_module": _l("Module"),
    "item_kind_location": _l("Place"),
    # The groups of a report, what becomes of each element.
    "report_not_mapped": _l("Not mapped (%(count)s)"), "report_adapted": _l("Adapted (%(count)s)"),
    "report_renamed": _l("Renamed (%(count)s)"), "report_kept": _l("Kept from this instance (%(count)s)"),
    "report_mapped": _l("Mapped as they are (%(count)s)"),
    "count_of": _l("%(what)s: %(count)s"),
    "choose_file": _l("Choose a file first."),
    "nothing_published": _l("Nothing is published: the tablets and the users keep the current version until someone "
                            "publishes the draft on the Versions page."),
    # A Primero configuration.
    "primero_checked": _l("The check is done: %(total)s elements in the file. Nothing has changed yet."),
    "primero_imported": _l("Imported: %(total)s elements of the file."),
    "primero_draft_would": _l("The draft would hold:"), "primero_draft_holds": _l("The draft holds:"),
    "primero_can_publish": _l("Nothing blocks publishing this draft."),
    "primero_cannot_publish": _l("Publishing this draft is blocked until the errors below are fixed: in Primero "
                                 "before checking again, or in the draft once it is made."),
    "primero_blocking": _l("Errors that block publishing: %(count)s"),
    "primero_warnings": _l("Warnings (publishing is not blocked): %(count)s"),
    "more_problems": _l("And %(count)s more, listed on the Versions page once the draft is made."),
    "primero_confirm_title": _l("Make this configuration the draft?"),
    "primero_confirm_replaced": _l("The draft is replaced by the configuration of %(file)s: its forms, lookups, "
                                   "roles, modules and places."),
    "primero_confirm_button": _l("Make it the draft"),
    "replace_title": _l("Replace the unpublished changes?"),
    "replace_lost": _l("The changes made to the draft and not yet published are lost: the draft becomes the "
                       "configuration of %(file)s."),
    "replace_button": _l("Replace the draft"),
    "primero_done": _l("The draft now holds the imported configuration. Review it, then publish it on the Versions "
                       "page."),
    # A partner's XLSForm.
    "xlsform_checked": _l("The check is done (%(type)s): %(mapped)s mapped, %(adapted)s adapted, %(not_mapped)s not "
                          "mapped. Nothing has changed yet."),
    "xlsform_documents": _l("New in the draft after the import: %(items)s."),
    "xlsform_confirm_title": _l("Add the forms of this workbook to the draft?"),
    "xlsform_confirm_adds": _l("New in the draft: %(items)s. Nothing already in the draft changes."),
    "xlsform_confirm_button": _l("Add to the draft"),
    "xlsform_added": _l("Added to the draft: %(items)s."),
}
