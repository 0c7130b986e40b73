"""Duplicate detection use cases: the potential matches of data being entered, the potential duplicates kept for
review, a review's decisions, and the upkeep of the pairs after each write.

Every use case checks its permission before anything is looked up, shows only the records the caller may read and
only the fields their role may read, counts what lies outside their scope without showing any of it, and writes
its audit entry (refusals included); never a value.
"""
from __future__ import annotations

import logging
from typing import Any

from server.errors import Detail, Error, NotFound, Unprocessable
from server.messages import _l
from server.matching import find
from server.workflow import merging
from server.workflow.merging import Link
from server.metadata.matching import Matching, matching_of
from server.records import service
from server.records.access import visible_fields
from server.records.actor import Actor
from server.records.types import RECORD_TYPES, RecordType, parse_record_id
from server.records.validation import form_fields, schema_details
from server.services.audit import audit
from server.services.context import Context
from server.services.match_upkeep import after_write
from server.services.records import CASE, INCIDENT, TRACING_REQUEST, Page, Shown, actor_of, refusal_audited, shown
from server.storage import matching as store
from server.storage.records import ACCESS

log = logging.getLogger(__name__)
PAIR = _l("Potential duplicate")
LEVELS = ("likely", "possible")
# What a match shows of a case besides the fields compared: who holds it and how to ask for it.
ENVELOPE = ("short_id", "case_id_display", "owned_by", "owned_by_agency", "status", "created_at")
STATUSES = (store.OPEN, store.NOT_DUPLICATE, store.DUPLICATE)


def _rules(ctx: Context, module_id: str | None) -> Matching | None:
    return matching_of(ctx.config, module_id)


def potential_matches(ctx: Context, data: dict[str, Any], module_id: str | None = None) -> dict[str, Any]:
    """The cases the data being entered may be a duplicate of, likely then possible, best first: those the caller
    may read, with the fields their role reads; how many others there are, and nothing else of them.

    Needs `create` on cases (it serves the registration of a new case) and `read`.
    """
    actor = actor_of(ctx)
    with refusal_audited(ctx, "potential_matches", CASE):
        actor.require(CASE, "create")
        actor.require(CASE, "read")
    module_id = service.module_of_write(ctx.config, CASE, module_id)
    rules = _rules(ctx, module_id)
    answer: dict[str, Any] = {level: [] for level in LEVELS}
    outside = {level: 0 for level in LEVELS}
    if rules is not None:
        probe = _checked_probe(ctx, rules, module_id, data)
        visible = visible_fields(ctx.db, ctx.config, CASE, actor)
        for record, match in find.matches(ctx.db, ctx.config, rules, CASE.name, probe, ctx.now):
            if _reads(actor, record):
                answer[match.level].append(_shown_match(rules, record, match.score, match.level, list(match.agree),
                                                        visible))
            else:
                outside[match.level] += 1
    audit(ctx, "potential_matches", CASE.name, detail=f"{len(answer['likely'])}+{len(answer['possible'])} shown, "
                                                     f"{sum(outside.values())} outside scope")
    return {"data": answer, "outside_scope": outside}


def _checked_probe(ctx: Context, rules: Matching, module_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The part of `data` the rules read, refused (422, naming each field and rule) where its type is not the
    form's: a half-filled form is fine, a value of the wrong kind is not."""
    read = set(rules.read_fields)
    forms = form_fields(ctx.config, CASE.name, module_id)
    probe = {name: value for name, value in data.items() if name in read and name in forms.fields}
    for name, rows in list(probe.items()):
        if name in forms.nested and isinstance(rows, list):  # the rows' compared fields, and no more
            wanted = {path.split("/", 1)[1] for item in rules.compare for path in item.fields
                      if path.startswith(f"{name}/")}
            probe[name] = [{key: value for key, value in row.items() if key in wanted} if isinstance(row, dict)
                           else row for row in rows]
    details: list[Detail] = []
    for error in forms.validator.iter_errors(probe):
        details += [detail for detail in schema_details(error) if detail.code != "required"]
    if details:
        raise Unprocessable(Error.RECORD_INVALID, details=details, count=len(details))
    return probe


def _reads(actor: Actor, record: dict[str, Any]) -> bool:
    """The caller may read the record (through their own scope or a referral to them)."""
    principal = actor.principal
    return principal is None or not set(principal.access_keys("read")).isdisjoint(record.get(ACCESS) or ())


def _shown_match(rules: Matching, record: dict[str, Any], score: float, level: str, agree: list[str],
                 visible: set[str] | None) -> dict[str, Any]:
    """A matching case as the caller sees it: its envelope, the top-level fields compared that they may read."""
    compared = [name for item in rules.compare for name in item.fields if "/" not in name]
    compared += [*rules.identifiers, *(item.as_of for item in rules.compare if item.as_of)]
    data = record.get("data") or {}
    readable = [name for name in dict.fromkeys(compared) if visible is None or name in visible]
    shown = {"id": record["_id"], **{key: record[key] for key in ENVELOPE if key in record}}
    shown.update({"score": score, "level": level,
                  "agree": [name for name in agree if visible is None or name.split("/")[0] in visible],
                  "data": {name: data[name] for name in readable if name in data}})
    return shown


# --- the pairs kept for review -----------------------------------------------------------------------------


def list_duplicates(ctx: Context, page: int, per_page: int, record_type: RecordType = CASE,
                    record_id: str | None = None, status: str = store.OPEN, level: str | None = None) -> Page:
    """The potential duplicates among the records the caller reads (both of each pair), best first; with
    `record_id`, those of one record. Pairs with a record outside the caller's scope are counted, not shown."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "list_duplicates", record_type, record_id):
        actor.require(record_type, "read")
        if record_type is TRACING_REQUEST:
            actor.require(CASE, "read")
        if record_id is not None:  # the record must be one the caller reads, or it is not found
            _one_of_the_pair(ctx, actor, record_type, parse_record_id(record_id, record_type))
    keys = None if actor.principal is None else list(actor.principal.access_keys("read"))
    pairs, total, outside = store.list_pairs(ctx.db, record_type.name, keys, status, level,
                                             record_id and parse_record_id(record_id, record_type),
                                             (page - 1) * per_page, per_page)
    items = _shown_pairs(ctx, actor, pairs)
    outside += len(pairs) - len(items)
    audit(ctx, "list_duplicates", record_type.name, record_id and parse_record_id(record_id, record_type),
          detail=f"{total} pairs, {outside} outside scope")
    return Page(items, total, page, per_page, meta={"outside_scope": outside})


def _one_of_the_pair(ctx: Context, actor: Actor, record_type: RecordType, record_id: str) -> None:
    """The record is in the caller's scope: a case, or (for the pairs of traces) a tracing request or a case."""
    try:
        service.get_record(ctx.db, record_type, record_id, actor)
    except NotFound:
        if record_type is not TRACING_REQUEST:
            raise
        service.get_record(ctx.db, CASE, record_id, actor)


def _shown_pairs(ctx: Context, actor: Actor, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pairs whose two records the caller reads now (their envelopes are read again: a pair's copy of the
    access keys may be older than a transfer), each record with the fields their role reads."""
    by_type: dict[str, set[str]] = {}
    for pair in pairs:
        first_type = TRACING_REQUEST.name if pair.get("trace") else CASE.name
        by_type.setdefault(first_type, set()).add(pair["records"][0])
        by_type.setdefault(CASE.name, set()).add(pair["records"][1])
    records = {name: store.records_by_id(ctx.db, name, ids) for name, ids in by_type.items()}
    visible = {name: visible_fields(ctx.db, ctx.config, RECORD_TYPES[name], actor) for name in records}
    shown = []
    for pair in pairs:
        first_type = TRACING_REQUEST.name if pair.get("trace") else CASE.name
        first, second = records[first_type].get(pair["records"][0]), records[CASE.name].get(pair["records"][1])
        if not first or not second or not _reads(actor, first) or not _reads(actor, second):
            continue
        rules = _rules(ctx, second.get("module_id"))
        if rules is None:
            continue
        sides = [_side(rules, first_type, first, pair.get("trace"), visible[first_type]),
                 _side(rules, CASE.name, second, None, visible[CASE.name])]
        readable = visible[CASE.name]
        shown.append({"id": pair["_id"], "record_type": pair["record_type"], "score": pair["score"],
                      "level": pair["level"], "status": pair["status"],
                      "agree": [name for name in pair.get("agree") or []
                                if readable is None or name.split("/")[0] in readable],
                      "records": sides, "trace_id": pair.get("trace"), "found_at": pair.get("found_at"),
                      "decided_by": pair.get("decided_by"), "decided_at": pair.get("decided_at"),
                      "reason": pair.get("reason")})
    return shown


def _side(rules: Matching, record_type: str, record: dict[str, Any], trace: str | None,
          visible: set[str] | None) -> dict[str, Any]:
    """One record of a pair: its envelope and the fields compared that the caller reads (a trace's row fields)."""
    kind = RECORD_TYPES[record_type]
    side = {"record_type": record_type, "id": record["_id"], "short_id": record.get("short_id"),
            "display_id": record.get(kind.display_id), "owned_by": record.get("owned_by"),
            "owned_by_agency": record.get("owned_by_agency"), "status": record.get("status")}
    data = record.get("data") or {}
    if trace and rules.traces:
        if visible is None or rules.traces.subform in visible:
            row = next((row for row in data.get(rules.traces.subform) or [] if isinstance(row, dict)
                        and row.get("unique_id") == trace), {})
            side["data"] = {name: row[name] for name in rules.traces.fields if name in row}
        else:
            side["data"] = {}
        return side
    compared = [name for item in rules.compare for name in item.fields if "/" not in name] + list(rules.identifiers)
    side["data"] = {name: data[name] for name in dict.fromkeys(compared)
                    if name in data and (visible is None or name in visible)}
    return side


def decide(ctx: Context, pair_id: str, decision: str, reason: str | None) -> dict[str, Any]:
    """Mark a pair "not_duplicate" (remembered: never raised again, whatever later writes do), "duplicate" (the same
    child: to merge), or open again. Needs `review_duplicates` on cases, and both records in the caller's scope."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, f"duplicate_{decision}", CASE):
        actor.require(CASE, "review_duplicates")
        pair = store.find_pair(ctx.db, pair_id)
        shown = _shown_pairs(ctx, actor, [pair]) if pair else []
        if not shown:
            raise NotFound(kind=PAIR, id=pair_id)
        store.decide_pair(ctx.db, pair_id, decision, ctx.user_name, ctx.now, reason)
    audit(ctx, f"duplicate_{decision}", CASE.name, pair["records"][1], detail=pair_id)
    return _shown_pairs(ctx, actor, [store.find_pair(ctx.db, pair_id)])[0]


# --- merging -----------------------------------------------------------------------------------------------


def _links(ctx: Context) -> dict[str, Link]:
    """What follows a case into a merge: its incidents, and the traces confirmed as it."""
    links = {INCIDENT.name: Link(INCIDENT)}
    subforms = {rules.traces.subform for uid in ctx.config.modules
                if (rules := _rules(ctx, uid)) is not None and rules.traces is not None}
    for subform in sorted(subforms)[:1]:
        links[TRACING_REQUEST.name] = Link(TRACING_REQUEST, subform)
    return links


def merge(ctx: Context, survivor_id: str, other_id: str, choices: dict[str, str],
          expected_revision: int | None) -> Shown:
    """Merge a case into another (merge and write on cases, both in the caller's scope): the survivor takes the
    chosen fields, the referrals and the links of the other, which is disabled and says where the child is now.
    The pair, if there was one, is marked a duplicate."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "merge", CASE, survivor_id):
        actor.require(CASE, "merge")
        survivor_id, other_id = parse_record_id(survivor_id, CASE), parse_record_id(other_id, CASE)
        survivor = merging.merge_cases(ctx.db, ctx.config, CASE, _links(ctx), survivor_id, other_id, choices,
                                       expected_revision, actor)
    _decided_by_merge(ctx, survivor_id, other_id, store.DUPLICATE)
    for record_id in (survivor_id, other_id):
        record = service.get_record(ctx.db, CASE, record_id)
        after_write(ctx, CASE, record)
    return shown(ctx, CASE, actor, survivor, "merge", detail=f"merged {other_id}")


def unmerge(ctx: Context, survivor_id: str, other_id: str) -> tuple[Shown, list[str]]:
    """Undo a merge (merge and write on cases): what nobody changed since goes back, the other case is enabled
    again; the fields kept as they are now are named."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "unmerge", CASE, survivor_id):
        actor.require(CASE, "merge")
        survivor_id, other_id = parse_record_id(survivor_id, CASE), parse_record_id(other_id, CASE)
        survivor, kept = merging.unmerge_cases(ctx.db, ctx.config, CASE, _links(ctx), survivor_id, other_id, actor)
    _decided_by_merge(ctx, survivor_id, other_id, store.OPEN)
    for record_id in (survivor_id, other_id):
        after_write(ctx, CASE, service.get_record(ctx.db, CASE, record_id))
    return shown(ctx, CASE, actor, survivor, "unmerge", detail=f"unmerged {other_id}"), kept


def _decided_by_merge(ctx: Context, survivor_id: str, other_id: str, status: str) -> None:
    pair = store.pair_id(CASE.name, survivor_id, other_id)
    if store.find_pair(ctx.db, pair) is not None:
        store.decide_pair(ctx.db, pair, status, ctx.user_name, ctx.now, None)
