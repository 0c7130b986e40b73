"""The texts of the data protection page's script: retention, subject access, consent audit."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

DATA_PROTECTION_TEXTS = {
    # Retention: the rules and what they reach.
    "dp_type_case": _l("Cases"), "dp_type_incident": _l("Incidents"), "dp_type_tracing_request": _l("Tracing requests"),
    "dp_records_status": _l("%(type)s with the status %(status)s"),
    "dp_after": _l("%(days)s days after %(from)s"),
    "dp_from_closed_at": _l("closing"), "dp_from_created_at": _l("registration in Abri"),
    "dp_from_last_updated_at": _l("the last change"),
    "dp_action_pseudonymise": _l("Pseudonymised"), "dp_action_delete": _l("Deleted"),
    "dp_none": _l("None"), "dp_why": _l("Why this rule"),
    "dp_pending": _l("%(count)s records were left half done by a run that stopped: the next run finishes them first."),
    # A dry run and a run.
    "dp_would_change": _l("A run would change %(count)s records:"),
    "dp_changed": _l("%(count)s records changed."),
    "dp_remaining": _l("%(count)s records are still reached by the rules: apply them again to go on."),
    "dp_all_done": _l("Every record the rules reach today is done."),
    "dp_resumed": _l("%(count)s records left half done by an earlier run were finished first."),
    "dp_failed": _l("%(count)s records could not be changed (see the server's log); they are tried again at the next "
                    "run."),
    "dp_rule_result": _l("%(rule)s: %(count)s records, %(history)s history entries, %(files)s files"),
    "dp_fields_removed": _l("Fields emptied: %(fields)s"),
    # Confirming a run, in words.
    "dp_confirm_title": _l("Apply the retention rules now?"),
    "dp_confirm_pseudonymise": _l("%(count)s records of the rule “%(rule)s” will lose every field that identifies a "
                                  "person, in their history too, and their photos, recordings and documents will be "
                                  "deleted. They stay counted in reports."),
    "dp_confirm_delete": _l("%(count)s records of the rule “%(rule)s” will be deleted with their history and files. "
                            "Reports keep counting them, without anything that identifies a person."),
    "dp_confirm_final": _l("This cannot be undone. Each record changed is written in the audit log."),
    "dp_confirm_button": _l("Apply the rules"),
    "dp_nothing_due": _l("No record is reached by the rules today: there is nothing to apply."),
    "dp_applied": _l("The retention rules were applied."),
    # Subject access.
    "dp_case_required": _l("Give the case's id, short id or display id."),
    "dp_archive_ready": _l("The archive of case %(case)s was downloaded."),
    # Consent audit.
    "dp_kind_any": _l("Referrals, transfers and exports"), "dp_kind_referral": _l("Referral"),
    "dp_kind_transfer": _l("Transfer"), "dp_kind_export": _l("Export"),
    "dp_consent": _l("services: %(services)s; sharing: %(sharing)s"),
    "dp_not_recorded": _l("not recorded"),
    "dp_overridden": _l("Overridden: %(reason)s"), "dp_not_overridden": _l("No"),
    "dp_export_include": _l("identifying fields included"), "dp_export_hash": _l("pseudonymised"),
    "dp_export_drop": _l("identifying fields left out"),
    "dp_rows_none": _l("No referral, transfer or export matches these filters."),
    "dp_rows_one": _l("1 row"), "dp_rows_total": _l("%(count)s rows"),
    "dp_page": _l("Page %(page)s of %(pages)s"),
}
