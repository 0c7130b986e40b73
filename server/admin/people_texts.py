"""The texts of the pages about people (users, agencies, groups, roles, the audit log), for their scripts.

The role matrix shows each permission as a word with a short explanation: `resource_<resource>`,
`action_<action>` and `action_help_<action>` (record actions), `permission_<resource>_<action>` and
`permission_help_<resource>_<action>` (the administration's), `scope_<scope>` and `scope_help_<scope>`.
The audit page's actions are `audit_action_<code>` and what entries are about `audit_about_<resource>`
(server.services.audit_log.ACTION_WORDS and ABOUT_WORDS, which the CSV uses too).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from server.services.audit_log import ABOUT_WORDS, ACTION_WORDS

_DIALOG = {
    "cancel": _l("Cancel"), "confirm": _l("Confirm"),
}

_USERS = {
    "user_disabled": _l("disabled"), "user_active": _l("active"), "enable": _l("Enable"), "disable": _l("Disable"),
    "reset_password": _l("Reset the password"),
    "new_password_for": _l("New password for %(user)s (a long phrase, not a common one, without the person's name):"),
    "role_of": _l("Role of"), "agency_of": _l("Agency of"),
    "change_user": _l("Change"), "change_user_title": _l("Change the user %(user)s"),
    "groups_of": _l("User groups of %(user)s"), "disabled_of": _l("Account of %(user)s disabled (no login)"),
    "no_agency": _l("(no agency)"), "no_groups": _l("This deployment has no user group yet: create one below."),
    "nothing_changed": _l("Nothing changed: change a role, an agency, a group or the account's state first."),
    "confirm_user_title": _l("Apply these changes to %(user)s?"), "apply_changes": _l("Apply the changes"),
    "cancelled": _l("Cancelled: nothing was changed."),
    "effect_role": _l("%(user)s loses the role %(old)s and receives the role %(new)s."),
    "effect_agency": _l("%(user)s moves from the agency %(old)s to the agency %(new)s."),
    "effect_agency_set": _l("%(user)s joins the agency %(new)s."),
    "effect_agency_removed": _l("%(user)s leaves the agency %(old)s and belongs to no agency any more."),
    "effect_group_joined": _l("%(user)s joins the group %(group)s."),
    "effect_group_left": _l("%(user)s leaves the group %(group)s."),
    "effect_disabled": _l("%(user)s can no longer log in: the account is disabled and its sessions end."),
    "effect_enabled": _l("%(user)s can log in again: the account is enabled."),
}

_ROLES = {
    "permission_of": _l("%(resource)s: %(action)s"), "holders_none": _l("No user holds this role."),
    "holders_hidden": _l("Your role does not manage users: who holds this role is not shown."),
    "resource_case": _l("Cases"), "resource_incident": _l("Incidents"),
    "resource_tracing_request": _l("Tracing requests"),
    "action_read": _l("Read"), "action_help_read": _l("open and search the records in the role's reach"),
    "action_create": _l("Create"), "action_help_create": _l("register a new record"),
    "action_write": _l("Edit"), "action_help_write": _l("change the forms the role may write"),
    "action_disable": _l("Disable"), "action_help_disable": _l("set a record aside (its data stay)"),
    "action_view_history": _l("History"), "action_help_view_history": _l("see who changed what and when"),
    "action_export_xlsx": _l("Export to Excel"), "action_help_export_xlsx": _l("download records as an xlsx file"),
    "action_export_csv": _l("Export to CSV"), "action_help_export_csv": _l("download records as CSV files"),
    "action_export_json": _l("Export to JSON"), "action_help_export_json": _l("download records as JSON"),
    "action_assign": _l("Assign"), "action_help_assign": _l("give a record to another worker"),
    "action_refer": _l("Refer"), "action_help_refer": _l("send a case to another service provider"),
    "action_transfer": _l("Transfer"), "action_help_transfer": _l("hand a case over to another worker for good"),
    "action_flag": _l("Flag"), "action_help_flag": _l("mark a record for attention"),
    "action_receive_referral": _l("Receive referrals"),
    "action_help_receive_referral": _l("be chosen as a referral's recipient"),
    "action_receive_transfer": _l("Receive transfers"),
    "action_help_receive_transfer": _l("be chosen as a transfer's recipient"),
    "action_consent_override": _l("Override consent"),
    "action_help_consent_override": _l("refer without the recorded consent (the reason is kept)"),
    "action_close": _l("Close"), "action_help_close": _l("close a case"),
    "action_reopen": _l("Reopen"), "action_help_reopen": _l("reopen a closed case"),
    "action_request_approval_assessment": _l("Ask approval: assessment"),
    "action_help_request_approval_assessment": _l("send an assessment to a supervisor"),
    "action_approve_assessment": _l("Approve: assessment"),
    "action_help_approve_assessment": _l("approve or refuse an assessment"),
    "action_request_approval_case_plan": _l("Ask approval: case plan"),
    "action_help_request_approval_case_plan": _l("send a case plan to a supervisor"),
    "action_approve_case_plan": _l("Approve: case plan"),
    "action_help_approve_case_plan": _l("approve or refuse a case plan"),
    "action_request_approval_closure": _l("Ask approval: closure"),
    "action_help_request_approval_closure": _l("ask a supervisor to close a case"),
    "action_approve_closure": _l("Approve: closure"), "action_help_approve_closure": _l("approve or refuse a closure"),
    "action_self_approve": _l("Approve one's own"), "action_help_self_approve": _l("approve one's own requests"),
    "action_review_duplicates": _l("Review duplicates"),
    "action_help_review_duplicates": _l("decide whether two records are the same child"),
    "action_merge": _l("Merge"), "action_help_merge": _l("merge two cases of the same child"),
    "permission_metadata_manage": _l("Configuration"),
    "permission_help_metadata_manage": _l("adapt forms and lookups, publish and restore versions"),
    "permission_metadata_manage_translations": _l("Translations"),
    "permission_help_metadata_manage_translations": _l("translate the labels of forms, lookups and roles"),
    "permission_user_manage": _l("Users"),
    "permission_help_user_manage": _l("create users, change their role, agency and groups, disable them"),
    "permission_role_manage": _l("Roles"), "permission_help_role_manage": _l("change what each role may do"),
    "permission_agency_manage": _l("Agencies"), "permission_help_agency_manage": _l("create and change agencies"),
    "permission_audit_log_read": _l("Audit log"), "permission_help_audit_log_read": _l("see who did what and when"),
    "permission_report_read": _l("Reports"),
    "permission_help_report_read": _l("see the reports and dashboards over the records of their scope"),
    "permission_report_view_small_counts": _l("Exact small counts"),
    "permission_help_report_view_small_counts": _l("see the counts under the suppression threshold (each view is audited)"),
    "permission_data_protection_retention": _l("Retention"),
    "permission_help_data_protection_retention": _l("preview and run the retention rules (pseudonymise or delete old records)"),
    "permission_data_protection_subject_access": _l("Subject access"),
    "permission_help_data_protection_subject_access": _l("export everything Abri holds about one child"),
    "permission_data_protection_consent_audit": _l("Consent audit"),
    "permission_help_data_protection_consent_audit": _l("see which records were shared with whom, under which consent"),
    "scope_self": _l("Own and associated records"),
    "scope_help_self": _l("the records the user created or is associated with"),
    "scope_group": _l("Also those of their user groups"),
    "scope_help_group": _l("and the records of the members of the user's groups"),
    "scope_agency": _l("Also those of their agency"),
    "scope_help_agency": _l("and the records of everyone in the user's agency"),
    "scope_all": _l("All records"), "scope_help_all": _l("every record of the deployment, whoever holds it"),
}

_AUDIT = {
    "audit_any_action": _l("Any action"), "audit_refused": _l("refused (%(status)s)"), "audit_done": _l("done"),
    "audit_hidden": _l("hidden"), "audit_page": _l("Page %(page)s of %(pages)s"),
    "audit_total": _l("%(count)s entries"), "audit_one": _l("1 entry"),
    "audit_none": _l("No entry matches these filters."),
}

PEOPLE_TEXTS = {**_DIALOG, **_USERS, **_ROLES, **_AUDIT,
                **{f"audit_action_{code}": word for code, word in ACTION_WORDS.items()},
                **{f"audit_about_{resource}": word for resource, word in ABOUT_WORDS.items()}}
