"""The application layer: every use case of Abri, called alike by the API, the CLI and the workers.

Each use case takes a `Context` (who acts, from where, when, with which settings and database)
and does, in this order: permission -> domain -> storage -> audit -> derived upkeep (indexes,
registries). A permission is checked before anything is looked up, so a refusal never tells
whether a thing exists. Use cases know nothing of HTTP or of the command line: they raise the
errors of server.errors, which each edge renders its own way.

    context.py        Context: the caller of a use case
    audit.py          the audit entry every use case writes
    records.py        cases, incidents, tracing requests: create, read, list, update, state, assign, history
    configuration.py  drafts, checks, publish, versions, restore, locations, translations
    accounts.py       users, agencies, groups, roles' holders, sessions and tokens, the audit log
    exports.py        export jobs: create, run (the worker), download, cancel
"""
