"""The texts of the case worker app's scripts, from the catalogs, and the rules it checks fields against.

The shell hands both to the scripts in every interface language (server/app_ui/__init__.py app_settings): the app
writes no text of its own, changes language without a round trip (offline too), and a field checked in the browser
is worded as the server words it.
"""
from __future__ import annotations

from server.messages import _l

from server.rules import Rule

# The rules of record data the browser checks as the user types (server/records/validation.py checks them all
# again): their codes and templates go to the app as they are.
CLIENT_RULES = (Rule.REQUIRED, Rule.TYPE, Rule.OPTION, Rule.FORMAT, Rule.MINIMUM, Rule.MAXIMUM, Rule.MAX_LENGTH,
                Rule.MAX_ITEMS, Rule.PATTERN, Rule.PATTERN_HINT, Rule.DISABLED_OPTION, Rule.LOCATION,
                Rule.LOCATION_LEVEL, Rule.FUTURE_DATE, Rule.PAST_DATE)

SCRIPT_TEXTS = {
    # The form renderer
    "guidance": _l("Questions to ask"), "required_field": _l("required"), "choose": _l("Choose…"),
    "yes": _l("Yes"), "no": _l("No"),
    "edit": _l("Edit"), "remove": _l("Remove"), "done": _l("Done"), "cancel": _l("Cancel"),
    "details": _l("Details"), "no_rows": _l("None yet."), "add_row": _l("Add: %(form)s"),
    "row_n": _l("Row %(n)s"), "rows_invalid": _l("Some rows need to be corrected."),
    "file_pending": _l("sent when the record is saved"), "file_count": _l("Files: %(count)s"),
    "row_count": _l("Rows: %(count)s"),
    # The shell, signing in, the connection
    "nav_home": _l("Home"), "nav_cases": _l("Cases"), "nav_incidents": _l("Incidents"),
    "nav_tracing_requests": _l("Tracing requests"), "log_out": _l("Log out"), "skip": _l("Skip to content"),
    "main_nav": _l("Main"),
    "unreachable": _l("The server could not be reached. Check the connection, then try again."),
    "unexpected": _l("Something went wrong on this page. Reload it, then try again."),
    "session_ended": _l("Your session has ended. Sign in again."), "loading": _l("Loading…"),
    "online": _l("Online"), "offline": _l("Offline"),
    "sign_in_title": _l("Sign in to Abri"), "user_name": _l("User name"), "password": _l("Password"),
    "sign_in": _l("Sign in"), "credentials_needed": _l("Enter your user name and your password."),
    "signing_in": _l("Signing in…"), "sync_now": _l("Sync now"), "syncing": _l("syncing…"),
    "changes_waiting": _l("changes waiting to be sent: %(count)s"),
    "records_need_you": _l("records to look at: %(count)s"),
    "previous_password": _l("Your previous password"),
    "password_changed": _l("Your password changed since you last signed in on this device, and changes made here "
                           "wait to be sent: enter your previous password once so that they are kept."),
    "sign_in_password_changed": _l("Enter your previous password too."),
    "sign_in_previous_password_wrong": _l("This is not your previous password."),
    "sign_in_needs_connection": _l("The first sign-in on this device needs a connection to the server."),
    "sign_in_wrong_password": _l("Wrong user name or password."),
    "device_erased": _l("An administrator signed this device out: the data it kept were erased."),
    # Offline and sync
    "kept_offline": _l("Kept on this device: it will be sent at the next sync."),
    "actions_need_connection": _l("Referrals, transfers, approvals and flags need a connection to the server."),
    "list_filling": _l("Records are being brought to this device…"),
    "sync_pending": _l("Waiting to be sent"), "sync_conflict": _l("Conflict to resolve"),
    "sync_refused": _l("To correct"), "sync_synced": _l("Synced"),
    "conflict_title": _l("Someone else changed the same fields"),
    "conflict_explained": _l("While this device was offline, the same fields were changed on the server. Choose, for "
                             "each one, the value to keep."),
    "conflict_mine": _l("This device"), "conflict_theirs": _l("The server"), "row": _l("row"),
    "conflict_resolve": _l("Keep these values"), "conflict_resolved": _l("The conflict is resolved."),
    "conflict_needs_connection": _l("Resolving a conflict needs a connection to the server."),
    "refused_title": _l("The server refused a change made on this device"),
    "refused_explained": _l("Edit the record to correct it: the correction is sent at the next sync. Nothing you "
                            "entered is lost."),
    # Home
    "home_title": _l("Hello, %(name)s"), "new_referrals": _l("New referrals and transfers"),
    "no_referrals": _l("No new referral or transfer."), "tasks": _l("My tasks"), "no_tasks": _l("Nothing is due."),
    "overdue": _l("Overdue"), "due_on": _l("due %(day)s"), "alerts": _l("Alerts"), "no_alerts": _l("No new alert."),
    "mark_all_read": _l("Mark these alerts read"), "alerts_marked": _l("The alerts are marked read."),
    "flagged": _l("Flagged records"), "no_flags": _l("No flagged record."),
    "on_this_device": _l("On this device"),
    "home_needs_connection": _l("Tasks, alerts and referrals show here when the server can be reached."),
    # Lists and search
    "list_case": _l("Cases"), "list_incident": _l("Incidents"), "list_tracing_request": _l("Tracing requests"),
    "register_case": _l("Register a case"), "register_incident": _l("Record an incident"),
    "register_tracing_request": _l("Record a tracing request"),
    "search_words": _l("Search (name, number…)"), "status": _l("Status"), "status_open": _l("Open"),
    "status_closed": _l("Closed"), "status_all": _l("All"), "stage": _l("Stage"), "all_stages": _l("All stages"),
    "my_records": _l("Only mine"), "flagged_only": _l("Only flagged"), "search": _l("Search"),
    "record_id": _l("Record number"), "stage_status": _l("Stage and status"), "last_updated": _l("Last change"),
    "more": _l("Show more"), "no_records": _l("No record found."), "records_found": _l("Records found: %(count)s"),
    "records_at_least": _l("Records found: at least %(count)s"),
    # A record
    "title_case": _l("Case %(id)s"), "title_incident": _l("Incident %(id)s"),
    "title_tracing_request": _l("Tracing request %(id)s"), "incident_of_case": _l("New incident of case %(id)s"),
    "record_not_found": _l("Record not found"),
    "not_allowed": _l("Your role does not allow this."), "forms": _l("Forms"),
    "no_forms": _l("Your role may not read any form of these records."), "register": _l("Register"),
    "save": _l("Save"), "registered": _l("Registered."), "saved": _l("Saved."),
    "nothing_changed": _l("Nothing was changed."), "fix_fields": _l("Fields to correct: %(count)s."),
    "changed_meanwhile": _l("Someone else changed this record meanwhile. Reload it to see their change, then make "
                            "yours again."),
    "disabled": _l("Disabled"), "owned_by": _l("Social worker: %(user)s"),
    "updated_on": _l("changed %(when)s by %(user)s"), "flag": _l("Flag"),
    # Duplicates
    "possible_duplicates": _l("This child may already have a case"),
    "duplicates_explained": _l("Check these cases before registering a new one: open one to compare, or go back to "
                               "the form."),
    "duplicates_hidden": _l("Other similar cases that you may not see: %(count)s. Ask your supervisor."),
    "register_anyway": _l("Register a new case all the same"), "back_to_form": _l("Back to the form"),
    "match_likely": _l("Likely"), "match_possible": _l("Possible"), "agree_on": _l("Same: %(fields)s"),
    # Actions
    "actions": _l("Actions"), "history": _l("History"), "recipient": _l("Recipient"), "notes": _l("Notes"),
    "consent_override": _l("Reason to share without consent"), "service": _l("Service"),
    "action_refer": _l("Refer"), "action_transfer": _l("Transfer the case"), "action_assign": _l("Assign"),
    "action_close": _l("Close the case"), "action_reopen": _l("Reopen the case"), "action_flag": _l("Flag the record"),
    "referred": _l("The case is referred."), "transferred": _l("The transfer is sent."),
    "assigned": _l("The record is assigned."), "closed": _l("The case is closed."),
    "reopened": _l("The case is reopened."), "flagged_done": _l("The record is flagged."),
    "no_recipients": _l("Nobody may receive it."), "reason": _l("Reason"), "flag_date": _l("Date it is about"),
    "request_approval": _l("Request an approval"), "approval_type": _l("Approval"),
    "approval_assessment": _l("Assessment"), "approval_case_plan": _l("Case plan"), "approval_closure": _l("Closure"),
    "comments": _l("Comments"), "comments_reject": _l("Comments (required to reject)"),
    "approval_requested": _l("The approval is requested."), "decide_approval": _l("Decide: %(type)s"),
    "decision": _l("Decision"), "approve": _l("Approve"), "reject": _l("Reject"), "send": _l("Send"),
    "decision_sent": _l("The decision is recorded."), "new_incident": _l("New incident"),
    "flags": _l("Flags"), "remove_flag": _l("Remove the flag"), "flag_removed": _l("The flag is removed."),
    "by_on": _l("by %(user)s, %(when)s"), "case_work": _l("Referrals, transfers and approvals"),
    # A referral (une orientation) and a transfer (un transfert) agree with their own gender in French.
    "referral_status_in_progress": _l("referral waiting for an answer"),
    "referral_status_accepted": _l("referral accepted"), "referral_status_rejected": _l("referral declined"),
    "referral_status_done": _l("referral completed"), "referral_status_revoked": _l("referral withdrawn"),
    "transfer_status_in_progress": _l("transfer waiting for an answer"),
    "transfer_status_accepted": _l("transfer accepted"), "transfer_status_rejected": _l("transfer declined"),
    "transfer_status_revoked": _l("transfer withdrawn"),
    "approval_status_requested": _l("awaiting approval"), "approval_status_approved": _l("approval granted"),
    "approval_status_rejected": _l("approval refused"),
    "answer_accept": _l("Accept"), "answer_reject": _l("Decline"), "answer_done": _l("Mark as completed"),
    "answer_revoke": _l("Withdraw"), "answered": _l("Done."),
    # Tracing requests
    "trace_matches": _l("Children who may have been found"), "trace": _l("Child sought"),
    "confirm_match": _l("This is the child"), "trace_confirmed": _l("Confirmed"),
    "match_confirmed": _l("The match is recorded."), "agree_count": _l("%(count)s points in common"),
    # History
    "back_to_record": _l("Back to the record"), "field": _l("Field"), "before": _l("Before"), "after": _l("After"),
    "history_entry": _l("%(action)s — %(user)s, %(when)s"), "action_name_other": _l("Change (%(action)s)"),
    "action_name_create": _l("Registered"), "action_name_update": _l("Changed"), "action_name_assign": _l("Assigned"),
    "action_name_enable": _l("Enabled"), "action_name_disable": _l("Disabled"),
    "action_name_mark_for_mobile": _l("Marked for tablets"), "action_name_refer": _l("Referred"),
    "action_name_transfer": _l("Transfer requested"), "action_name_referral_accept": _l("Referral accepted"),
    "action_name_referral_reject": _l("Referral declined"), "action_name_referral_done": _l("Referral completed"),
    "action_name_referral_revoke": _l("Referral withdrawn"), "action_name_transfer_accept": _l("Transfer accepted"),
    "action_name_transfer_reject": _l("Transfer declined"), "action_name_transfer_revoke": _l("Transfer withdrawn"),
    "action_name_close": _l("Closed"), "action_name_reopen": _l("Reopened"),
    "action_name_approval_request": _l("Approval requested"), "action_name_approval_decision": _l("Approval decided"),
    "action_name_flag": _l("Flagged"), "action_name_unflag": _l("Flag removed"), "action_name_merge": _l("Merged"),
    "action_name_unmerge": _l("Merge undone"),
    "action_name_pseudonymise": _l("Identifying data removed (retention)"),
}
