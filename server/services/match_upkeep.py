"""The upkeep of potential duplicates: after each write that made a record's pairs due, and in the workers for
what a crash, a rescope or a publish of new matching rules left due.

Apart from server/services/matching.py (the use cases people call) so that the record and sync use cases can call
it without importing those.
"""
from __future__ import annotations

import logging
from typing import Any

from server.matching import find
from server.matching.score import is_wide
from server.metadata.matching import matching_of
from server.records.types import RECORD_TYPES, RecordType
from server.services.context import Context
from server.storage import matching as store
from server.storage import records as records_store
from server.storage.errors import StorageUnavailable

log = logging.getLogger(__name__)
MATCHED_TYPES = (RECORD_TYPES["case"], RECORD_TYPES["tracing_request"])
request_type = RECORD_TYPES["tracing_request"]


def after_write(ctx: Context, record_type: RecordType, record: dict[str, Any]) -> None:
    """Compute the potential duplicates of a record just written, if its write made them due. A failure leaves
    them due for the workers: the write itself stands."""
    if record_type not in MATCHED_TYPES or not record.get(store.MATCH_DUE):
        return
    try:
        compute_pairs(ctx, record_type, record)
    except StorageUnavailable as error:
        log.warning("potential duplicates of %s %s left to the workers: %s", record_type.name, record["_id"], error)


def compute_pairs(ctx: Context, record_type: RecordType, record: dict[str, Any]) -> None:
    """List the record's names under its wide keys, then keep its pairs (in this order: a record is findable by
    every key it holds before its pairs are marked computed)."""
    rules = matching_of(ctx.config, record.get("module_id"))
    wide = [key for key in record.get(store.MATCH_KEYS) or () if is_wide(key)] if rules else []
    names = find.names_of(rules, record_type.name, record.get("data") or {}) if wide else []
    store.name_record(ctx.db, record_type.name, record["_id"], record["revision"], wide, names,
                      record.get(store.MATCH_NAMED) or ())
    found = find.pairs_of(ctx.db, ctx.config, rules, record_type.name, record) if rules else []
    store.save_pairs(ctx.db, record["_id"], found, ctx.now)
    store.mark_matched(ctx.db, record_type.name, record["_id"], record["revision"], wide)


def refresh_matching(ctx: Context, limit: int = 500) -> int:
    """The workers' part: give new keys to records whose module's rules changed since their keys were made, then
    compute the pairs of up to `limit` records still due (a crash between a write and its pairs, a rescope, a
    publish). Return how many records were looked at."""
    looked = 0
    for record_type in MATCHED_TYPES:
        looked += _refresh_keys(ctx, record_type, limit - looked)
        for record in store.due(ctx.db, record_type.name, limit - looked):
            compute_pairs(ctx, record_type, record)
            looked += 1
        if looked >= limit:
            break
    return looked


def _refresh_keys(ctx: Context, record_type: RecordType, limit: int) -> int:
    """New keys for up to `limit` records of modules whose rules changed since their keys were made (each written
    only if it did not change meanwhile: its next write makes them anyway). A module whose records all have keys
    of its current rules is marked so, and not looked at again until the rules change."""
    looked = 0
    for module_id in ctx.config.modules:
        rules = matching_of(ctx.config, module_id)
        if rules is None or \
                records_store.module_state(ctx.db, record_type.name, "matching", module_id) == rules.fingerprint:
            continue
        stale = store.stale_keys(ctx.db, record_type.name, module_id, rules.fingerprint, limit - looked)
        for record in stale:
            keys = find.record_keys(rules, record_type.name, record.get("data") or {}, record.get("created_at"))
            store.set_keys(ctx.db, record_type.name, record["_id"], record["revision"], keys, rules.fingerprint)
        looked += len(stale)
        if looked >= limit:
            return looked
        records_store.mark_module_state(ctx.db, record_type.name, "matching", module_id, rules.fingerprint)
    return looked


def trace_confirmed(ctx: Context, request: dict[str, Any], trace_id: str, case_id: str) -> None:
    """A user confirmed that a trace is the child of a case: their pair is decided so (shown on both sides)."""
    pair = store.pair_id(request_type.name, request["_id"], case_id, trace_id)
    if store.find_pair(ctx.db, pair) is not None:
        store.decide_pair(ctx.db, pair, store.DUPLICATE, ctx.user_name, ctx.now, None)
    after_write(ctx, request_type, request)
