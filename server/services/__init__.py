"""The application layer: every use case of Abri, called alike by the API, the CLI and the workers.

Each use case takes a `Context` (who acts — a signed-in user's principal, the machine's operator,
or nobody — from where, when, with which settings) and does, in this order: permission -> domain
-> storage -> audit -> derived upkeep (record indexes). A permission is checked before anything is
looked up, so a refusal never tells whether a thing exists. Use cases know nothing of HTTP or of
the command line: they raise the errors of server.errors, which each edge renders its own way.

    context.py        Context: the caller of a use case; command_line_context for the operator
    permission.py     require / require_signed_in: the first step of every use case
    audit.py          the audit entry every use case writes
    records.py        cases, incidents, tracing requests: create, read, list, update, state, assign, history, match
    attachments.py    files of records' upload fields: attach, list, download, delete
    configuration.py  draft status, publish, restore, versions and diffs, loading a folder
    drafts.py         draft document edits (with the role-rights rules), lookup locks
    documents.py      what a caller may read of the published forms, lookups, modules, roles; record-data schemas
    locations.py      published places, the CSV import
    translations.py   coverage and the translators' spreadsheet
    accounts.py       users, agencies, user groups, lockouts
    sessions.py       logging in and out, sessions and tokens, one's own password
    audit_log.py      reading the audit log (redacted for who may not see a record)
    exports.py        export jobs: create, list, download, delete, run now, the worker's claim-run-complete
    retention.py      the retention rules: preview, dry run, run (pseudonymise or delete; resumable)
    subject_access.py everything Abri holds about one child, as one zip file
    consent_audit.py  referrals, transfers and exports, with the consent they went under (and as CSV)
    workers.py        the export worker threads of `abri serve` and `abri worker`
    health.py         readiness (database, published configuration, worker threads) and the queues operators watch
    deployment.py     the first start: deployment, shipped configuration, indexes, first administrator
    settings.py       the settings check that stops a start with a setting that would weaken Abri
"""
