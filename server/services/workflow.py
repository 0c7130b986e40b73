"""Case work use cases: refer, transfer and answer, close and reopen, request and decide approvals, flag, and who
may receive a case.

Each checks the permission before anything is looked up (server/workflow does, through the record engine), writes
its audit entry (refusals included, as the record use cases do), and answers the record as the caller may see it,
with the id of what it made (a transition, an approval, a flag) beside it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.auth.permissions import principal_from_role
from server.auth.rights import is_active_with
from server.errors import BadRequest, Detail, Error
from server.metadata.labels import resolve_text
from server.metadata.versions import LanguageSettings
from server.metadata.workflow import APPROVAL_TYPES
from server.records import service
from server.records.search import ListQuery
from server.records.types import RECORD_TYPES, RecordType, parse_record_id
from server.rules import Rule
from server.services.audit import audit
from server.services.context import Context
from server.services.notify import notify
from server.services.records import CASE, Page, Shown, actor_of, keep_record_indexes, refusal_audited, shown
from server.storage import auth as people
from server.workflow import alerts as who, flags, lifecycle, transitions, worklists

HANDING = {"refer": "receive_referral", "transfer": "receive_transfer", "assign": "read"}


@dataclass(frozen=True)
class Step:
    """A case work action's answer: the record as the caller sees it, and what the action made (with its id)."""

    shown: Shown
    made: dict[str, Any]


def _step(ctx: Context, record_type: RecordType, record: dict[str, Any], made: dict[str, Any], action: str,
          detail: str | None = None) -> Step:
    return Step(shown(ctx, record_type, actor_of(ctx), record, action, detail=detail), made)


def send_case(ctx: Context, case_id: str, kind: str, body: dict[str, Any], expected_revision: int | None) -> Step:
    """Refer (kind "referral") or transfer (kind "transfer") a case to a user; a missing consent is overridden only
    with a reason and the consent_override permission, and the override is recorded."""
    actor = actor_of(ctx)
    action = transitions.SENDS[kind]
    with refusal_audited(ctx, action, CASE, case_id):
        record, made = transitions.send(ctx.db, ctx.config, CASE, parse_record_id(case_id, CASE), kind, body,
                                        expected_revision, actor)
    detail = "consent overridden" if made["consent_overridden"] else None
    notify(ctx, CASE, record, who.for_sent(record, made))
    return _step(ctx, CASE, record, made, action, detail)


def answer_case(ctx: Context, case_id: str, kind: str, transition_id: str, answer: str, body: dict[str, Any],
                expected_revision: int | None) -> Step:
    """Accept, reject, mark done or revoke a referral or a transfer of a case."""
    actor = actor_of(ctx)
    action = f"{kind}_{answer}"
    with refusal_audited(ctx, action, CASE, case_id):
        record, made = transitions.answer(ctx.db, ctx.config, CASE, parse_record_id(case_id, CASE), kind,
                                          transition_id, answer, body, expected_revision, actor)
    notify(ctx, CASE, record, who.for_answer(record, made, answer))
    return _step(ctx, CASE, record, made, action)


def close_case(ctx: Context, case_id: str, expected_revision: int | None) -> Step:
    actor = actor_of(ctx)
    with refusal_audited(ctx, "close", CASE, case_id):
        record = lifecycle.close_case(ctx.db, ctx.config, CASE, parse_record_id(case_id, CASE), expected_revision,
                                      actor)
    return _step(ctx, CASE, record, {}, "close")


def reopen_case(ctx: Context, case_id: str, reason: str, expected_revision: int | None) -> Step:
    actor = actor_of(ctx)
    with refusal_audited(ctx, "reopen", CASE, case_id):
        record = lifecycle.reopen_case(ctx.db, ctx.config, CASE, parse_record_id(case_id, CASE), reason,
                                       expected_revision, actor)
    return _step(ctx, CASE, record, {}, "reopen")


def _approval_label(ctx: Context, kind: str) -> str:
    module_ids = list(ctx.config.modules)
    default = LanguageSettings.of(ctx.settings).default
    return lifecycle.approval_label(ctx.config, module_ids[0] if len(module_ids) == 1 else None, kind,
                                    ctx.locale or default, default)


def request_approval(ctx: Context, case_id: str, kind: str, comments: str | None,
                     expected_revision: int | None) -> Step:
    actor = actor_of(ctx)
    with refusal_audited(ctx, "approval_request", CASE, case_id):
        _known_approval(kind)
        record, made = lifecycle.request_approval(ctx.db, ctx.config, CASE, parse_record_id(case_id, CASE), kind,
                                                  comments, expected_revision, actor, _approval_label(ctx, kind))
    return _step(ctx, CASE, record, made, "approval_request", kind)


def decide_approval(ctx: Context, case_id: str, kind: str, approved: bool, comments: str | None,
                    expected_revision: int | None) -> Step:
    actor = actor_of(ctx)
    with refusal_audited(ctx, "approval_decision", CASE, case_id):
        _known_approval(kind)
        record, made = lifecycle.decide_approval(ctx.db, ctx.config, CASE, parse_record_id(case_id, CASE), kind,
                                                 approved, comments, expected_revision, actor,
                                                 _approval_label(ctx, kind))
    notify(ctx, CASE, record, who.for_decision(record, made))
    return _step(ctx, CASE, record, made, "approval_decision", f"{kind} {made['status']}")


def _known_approval(kind: str) -> None:
    if kind not in APPROVAL_TYPES:
        raise BadRequest(Error.URL_INVALID, details=[Detail.of("/approval_type", Rule.ENUM,
                                                               allowed=", ".join(APPROVAL_TYPES))])


def raise_flag(ctx: Context, record_type: RecordType, record_id: str, reason: str, date: str | None,
               expected_revision: int | None) -> Step:
    actor = actor_of(ctx)
    with refusal_audited(ctx, "flag", record_type, record_id):
        record, made = flags.raise_flag(ctx.db, ctx.config, record_type, parse_record_id(record_id, record_type),
                                        reason, date, expected_revision, actor)
    notify(ctx, record_type, record, who.for_flag(record, made))
    return _step(ctx, record_type, record, made, "flag")


def remove_flag(ctx: Context, record_type: RecordType, record_id: str, flag_id: str, reason: str,
                expected_revision: int | None) -> Step:
    actor = actor_of(ctx)
    with refusal_audited(ctx, "unflag", record_type, record_id):
        record, made = flags.remove_flag(ctx.db, ctx.config, record_type, parse_record_id(record_id, record_type),
                                         flag_id, reason, expected_revision, actor)
    return _step(ctx, record_type, record, made, "unflag")


def list_flagged(ctx: Context, record_type: RecordType, args: dict[str, list[str]]) -> Page:
    """The records in the caller's scope with a flag raised (the list arguments of any record list apply), each
    with its raised flags."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "list_flags", record_type):
        actor.require(record_type, "read")
        keep_record_indexes(ctx, record_type)
        listing, query = service.list_records(ctx.db, ctx.config, record_type, args, ctx.settings["MAX_PER_PAGE"],
                                              actor, {flags.FLAGGED: True})
    audit(ctx, "list_flags", record_type.name, detail=f"{listing.total}{'' if listing.exact else '+'} records")
    return _flag_page(ctx, record_type, actor, listing, query)


def _flag_page(ctx: Context, record_type: RecordType, actor, listing, query: ListQuery) -> Page:
    items = []
    for record in listing.items:
        summary = service.present(record, record_type, [], set(), actor.principal)
        items.append({key: summary[key] for key in ("id", "short_id", record_type.display_id, "owned_by", "status")
                      if key in summary} | {"record_type": record_type.name, "flags": flags.raised_flags(record)})
    return Page(items, listing.total, query.page, query.per_page, listing.exact, query.cursor(listing.after))


def list_tasks(ctx: Context, page: int, per_page: int, **narrowed: Any) -> Page:
    """The caller's tasks on cases, earliest due first (worklists.tasks says which), one page of them."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "list_tasks", CASE):
        actor.require(CASE, "read")
        default = LanguageSettings.of(ctx.settings).default
        items, exact = worklists.tasks(ctx.db, ctx.config, CASE, actor, locale=ctx.locale or default, default=default,
                                       **narrowed)
    audit(ctx, "list_tasks", CASE.name, detail=f"{len(items)}{'' if exact else '+'} tasks")
    return _items_page(items, exact, page, per_page)


def list_services(ctx: Context, page: int, per_page: int, **narrowed: Any) -> Page:
    """The services of the cases the caller sees, with their referrals (worklists.services says which)."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "list_services", CASE):
        actor.require(CASE, "read")
        items, exact = worklists.services(ctx.db, ctx.config, CASE, actor, **narrowed)
    audit(ctx, "list_services", CASE.name, detail=f"{len(items)}{'' if exact else '+'} services")
    return _items_page(items, exact, page, per_page)


def _items_page(items: list[dict[str, Any]], exact: bool, page: int, per_page: int) -> Page:
    start = (page - 1) * per_page
    return Page(items[start:start + per_page], len(items), page, per_page, exact)


def refresh_workflows(ctx: Context, limit: int = 500) -> int:
    """Derive again the stage, tasks and service summaries of up to `limit` cases derived by an earlier workflow
    (the worker threads call it); return how many were looked at."""
    return service.refresh_workflow(ctx.db, ctx.config, CASE, limit, ctx.now)


def recipients(ctx: Context, action: str, record_type: RecordType) -> list[dict[str, Any]]:
    """The users the caller may refer, transfer or assign records of a type to: enabled, in enabled agencies, with a
    role that receives them (receive_referral, receive_transfer; for assign, reads them), with their role and agency.
    """
    actor = actor_of(ctx)
    with refusal_audited(ctx, f"recipients_{action}", record_type):
        actor.require(record_type, action)
    return recipients_for(ctx, {action: [record_type.name]})[0]


def recipients_for(ctx: Context, wanted: dict[str, list[str]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(users, their agencies) the caller may hand records to, per action ({action: [record types]}): each user with
    the record types they may receive by each action. Two reads: every user, every agency."""
    if not any(wanted.values()):
        return [], []
    default = LanguageSettings.of(ctx.settings).default
    locale = ctx.locale or default
    agencies = {agency["_id"]: agency for agency in people.page(ctx.db, "agencies", None, 0, 0)[0]}
    name_of = lambda agency: resolve_text(agency.get("name_i18n"), locale, default) or agency.get("name")  # noqa: E731
    users, reached = [], {}
    for user in people.page(ctx.db, "users", None, 0, 0)[0]:
        agency = agencies.get(user.get("agency") or "")
        if user["_id"] == ctx.user_name or not is_active_with(user, agency):
            continue
        role = ctx.config.roles.get(user.get("role") or "")
        theirs = principal_from_role(user, role)
        may = {action: [name for name in names if theirs.can(name, "read") and theirs.can(name, HANDING[action])]
               for action, names in wanted.items()}
        if any(may.values()):
            users.append({"user_name": user["_id"], "full_name": user.get("full_name"),
                          "role_unique_id": user.get("role"),
                          "role_name": resolve_text((role or {}).get("name_i18n"), locale, default) or None,
                          "agency_unique_id": user.get("agency"), "agency_name": name_of(agency) if agency else None,
                          **may})
            if agency:
                reached[agency["_id"]] = {"unique_id": agency["_id"], "name": name_of(agency),
                                          "agency_code": agency.get("agency_code")}
    return users, [reached[key] for key in sorted(reached)]


def record_type_named(name: str) -> RecordType:
    """The record type a query names (a 422 naming the parameter and the choices otherwise)."""
    if name not in RECORD_TYPES:
        raise BadRequest(Error.QUERY_PARAMETER_INVALID, name="record_type",
                         details=[Detail.of("/record_type", Rule.ENUM, allowed=", ".join(RECORD_TYPES))])
    return RECORD_TYPES[name]

