"""What a role document may name: resources and their actions, record scopes, the "every role" mark.

The configuration's checks read it to refuse an unknown permission; the permission evaluator
(server/auth/permissions.py) grants by it.
"""
from __future__ import annotations

RECORD_ACTIONS = ("read", "create", "write", "disable", "view_history", "export_xlsx", "export_csv",
                  "export_json", "assign", "refer", "transfer", "flag",
                  # case work (server/workflow): who may receive what, override a refused consent, close, approve
                  "receive_referral", "receive_transfer", "consent_override", "close", "reopen",
                  "request_approval_assessment", "approve_assessment", "request_approval_case_plan",
                  "approve_case_plan", "request_approval_closure", "approve_closure", "self_approve",
                  # duplicates (server/services/matching.py): decide on a potential duplicate; merge two cases
                  "review_duplicates", "merge",
                  # exports (server/export/pseudonyms.py): without it, identifying fields leave only pseudonymised
                  "export_identifying")
RESOURCES: dict[str, tuple[str, ...]] = {
    "case": RECORD_ACTIONS,
    "incident": RECORD_ACTIONS,
    "tracing_request": RECORD_ACTIONS,
    "metadata": ("manage", "manage_translations"),
    "user": ("manage",),
    "role": ("manage",),
    "agency": ("manage",),
    "audit_log": ("read",),
    # aggregate reports and dashboards (server/reports): run them; see counts under the suppression threshold
    "report": ("read", "view_small_counts"),
    # data protection (server/services/retention.py, subject_access.py, consent_audit.py)
    "data_protection": ("retention", "subject_access", "consent_audit"),
}
SCOPES = ("self", "group", "agency", "all")  # group_permission: whose records a role reaches
ASSIGN_ALL = "*"           # in assignable_role_ids: every role, present and future
