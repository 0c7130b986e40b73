"""Who may call a use case: a signed-in user with their role, the operator, or nobody else.

A caller with neither a principal nor the operator mark is anonymous (a login request's context).
The record engine and the account rules read "no principal" as the system itself, so an anonymous
caller must be refused (401) by every use case before anything is looked up or written.
"""
from __future__ import annotations

import pytest

from server.errors import Forbidden, Unauthorized
from server.records.types import RECORD_TYPES
from server.services import accounts, audit_log, configuration, documents, exports, records
from server.services.context import Context, command_line_context
from server.storage import get_db

CASE = RECORD_TYPES["case"]


def anonymous(app) -> Context:
    return Context(db=get_db(), settings=app.config, address="192.0.2.9")


USE_CASES = {
    "read a case": lambda ctx: records.read_record(ctx, CASE, "8c3f0a5e-1d2b-4c6e-9f7a-0b1c2d3e4f5a"),
    "list cases": lambda ctx: records.list_records(ctx, CASE, {}),
    "create a case": lambda ctx: records.create_record(ctx, CASE, {"data": {}}),
    "list users": lambda ctx: accounts.list_accounts(ctx, "users", 1, 50),
    "create a user": lambda ctx: accounts.create_user(ctx, {"user_name": "intruder", "password": "quiet lagoon at dusk",
                                                            "role_unique_id": "role-system-administrator"}),
    "read the audit log": lambda ctx: audit_log.list_audit_log(ctx, {}, 1, 50),
    "publish": lambda ctx: configuration.publish(ctx, "by nobody"),
    "read the draft": lambda ctx: configuration.draft_status(ctx),
    "read the roles": lambda ctx: documents.visible_forms(ctx, "role"),
    "read the forms": lambda ctx: documents.visible_forms(ctx, "form"),
    "list exports": lambda ctx: exports.list_exports(ctx, 1, 50),
    "create an export": lambda ctx: exports.create_export(ctx, {"record_type": "case", "format": "xlsx"}),
}


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_an_anonymous_caller_is_refused_and_nothing_is_written(backend_app, use_case):
    with backend_app.app_context():
        ctx = anonymous(backend_app)
        users, audit_entries = ctx.db.users.count_documents({}), ctx.db.audit_log.count_documents({})
        with pytest.raises(Unauthorized):
            USE_CASES[use_case](ctx)
        assert ctx.db.users.count_documents({}) == users and ctx.db.case.count_documents({}) == 0
        assert ctx.db.audit_log.count_documents({}) in (audit_entries, audit_entries + 1)  # a refusal may be audited
        assert ctx.db.users.find_one({"_id": "intruder"}) is None


def test_the_export_queue_is_run_only_by_the_machine(backend_app):
    with backend_app.app_context():
        with pytest.raises(Forbidden):
            exports.run_next_export(anonymous(backend_app), "worker-x")
        with pytest.raises(Forbidden):
            exports.remove_expired_exports(anonymous(backend_app))
        assert exports.run_next_export(command_line_context(get_db(), backend_app.config), "worker-x") is None


def test_the_operator_may_do_what_the_command_line_does(backend_app):
    with backend_app.app_context():
        operator = command_line_context(get_db(), backend_app.config)
        assert operator.is_operator and not operator.is_anonymous
        assert accounts.list_accounts(operator, "users", 1, 50).total >= 1
        assert not anonymous(backend_app).is_operator
