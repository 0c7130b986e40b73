"""Retention use cases (data_protection: retention): what the rules reach, what a run would change, and the run.

The rules are the modules' (server/metadata/retention.py). A run takes the run lock (one run at a time), first
finishes the records a run before it left under way, then applies each rule to the records it reaches, deletions
first: a record is pseudonymised (its identifying fields removed in one write of the record engine, then from every
history entry; the files of those fields deleted; its duplicate listings made again) or deleted (its residue kept for
the reports, then its files, history, conflicts, duplicate listings, alerts, and last the record). Each record is
listed as under way before its first change and taken off after its last, so a run that dies midway is finished by
the next; every step can be done twice. A run does at most `limit` records and says how many remain: run again.

Audited: one entry per preview, dry run and run (with the counts per rule), and one per record changed; never a
value.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from server.errors import Conflict, Error, NotFound
from server.metadata.labels import resolve_text
from server.metadata.versions import LanguageSettings
from server.metadata.retention import DELETE, IdentifyingFields, RetentionRule, identifying_fields, retention_rules
from server.records import redaction
from server.records.actor import Actor
from server.records.redaction import PSEUDONYMISED_AT
from server.records.types import RECORD_TYPES, RecordType
from server.reports.residues import keep_residue
from server.services.audit import audit
from server.services.context import Context, now_ms
from server.services.match_upkeep import after_write
from server.services.permission import require
from server.storage import data_protection as store, records as records_store
from server.storage.matching import MATCH_NAMED
from server.storage.query import AllOf, Condition, Filter, Sort

log = logging.getLogger(__name__)
PERMISSION = ("data_protection", "retention")
RESOURCE = "data_protection"
SAMPLE = 5              # short ids shown per rule
BATCH = 100             # records read at a time
LEASE = timedelta(minutes=10)   # the run lock's lease, renewed every batch
DEFAULT_LIMIT = 500     # records one run does (the command line runs until none is left)
MAX_LIMIT = 100_000


@dataclass
class RuleOutcome:
    """What a run did (or a dry run would do) under one rule."""

    rule: RetentionRule
    due: int = 0                       # records the rule reached when the run started
    done: int = 0                      # records changed (dry run: that would be)
    failed: int = 0
    sample: list[str] = field(default_factory=list)
    fields: dict[str, int] = field(default_factory=dict)   # identifying field -> records holding a value
    history_entries: int = 0
    files: int = 0

    def as_json(self, locale: str | None, default: str) -> dict[str, Any]:
        return {**self.rule.describe(), "note": resolve_text(self.rule.note_i18n, locale or default, default),
                "due": self.due, "done": self.done, "failed": self.failed, "sample": self.sample,
                "fields": dict(sorted(self.fields.items())), "history_entries": self.history_entries,
                "files": self.files}


def _due(rule: RetentionRule, ctx: Context) -> Condition:
    """The records a rule reaches now: of its module (and status), whose date is old enough, not done yet."""
    cutoff = rule.cutoff(ctx.now)
    conditions: list[Condition] = [Filter("module_id", "eq", rule.module_id)]
    if rule.status:
        conditions.append(Filter("status", "eq", rule.status))
    if rule.from_envelope:
        conditions.append(Filter(rule.source, "lte", cutoff))
    else:  # a date ("2021-12-02") or a date and time ("2021-12-02T10:00:00+01:00"): before the next day
        conditions.append(Filter(f"data.{rule.source}", "lt", (cutoff.date() + timedelta(days=1)).isoformat()))
    if rule.action != DELETE:
        conditions.append(Filter(PSEUDONYMISED_AT, "exists", False))
    return AllOf(*conditions)


def _display_key(rule: RetentionRule) -> str:
    return RECORD_TYPES[rule.record_type].display_id


def _sample(ctx: Context, rule: RetentionRule, where: Condition) -> list[str]:
    key = _display_key(rule)
    found = records_store.find_records(ctx.db, rule.record_type, where, [Sort("_id")], SAMPLE, ["short_id", key])
    return [record.get(key) or record.get("short_id") for record in found]


def _answer(ctx: Context, outcomes: list[RuleOutcome], **extra: Any) -> dict[str, Any]:
    default = LanguageSettings.of(ctx.settings).default
    return {"as_of": ctx.now, "rules": [outcome.as_json(ctx.locale, default) for outcome in outcomes], **extra}


def _counted(outcomes: list[RuleOutcome]) -> str:
    """The counts of a run for its audit entry (rule ids and numbers only)."""
    return "; ".join(f"{o.rule.id}: {o.due} due, {o.done} done, {o.failed} failed" for o in outcomes) or "no rule"


def preview_retention(ctx: Context) -> dict[str, Any]:
    """How many records each rule reaches now, with a few of their display ids, and how many a run left under way."""
    require(ctx, *PERMISSION)
    outcomes = []
    for rule in retention_rules(ctx.config):
        where = _due(rule, ctx)
        outcomes.append(RuleOutcome(rule, due=records_store.count_records(ctx.db, rule.record_type, where),
                                    sample=_sample(ctx, rule, where)))
    pending = store.count_pending(ctx.db)
    audit(ctx, "retention_preview", RESOURCE, detail=_counted(outcomes))
    return _answer(ctx, outcomes, pending=pending)


def run_retention(ctx: Context, dry_run: bool = False, limit: int | None = DEFAULT_LIMIT) -> dict[str, Any]:
    """Apply the rules to at most `limit` records (None: every one), or on a dry run, say what that would change
    and write nothing but the audit entry."""
    require(ctx, *PERMISSION)
    run_id = str(uuid.uuid4())
    budget = MAX_LIMIT if limit is None else limit
    if dry_run:
        outcomes = [_dry_rule(ctx, rule, budget) for rule in retention_rules(ctx.config)]
        audit(ctx, "retention_dry_run", RESOURCE, detail=_counted(outcomes))
        remaining = sum(o.due for o in outcomes) - sum(o.done for o in outcomes)
        return _answer(ctx, outcomes, run_id=run_id, dry_run=True, resumed=0, remaining=remaining)
    if not store.claim_run(ctx.db, run_id, ctx.now, LEASE):
        raise Conflict(Error.RETENTION_RUNNING)
    try:
        resumed = _resume(ctx, run_id)
        outcomes = []
        for rule in retention_rules(ctx.config):
            outcomes.append(_run_rule(ctx, rule, run_id, budget))
            budget -= outcomes[-1].done + outcomes[-1].failed
        remaining = sum(records_store.count_records(ctx.db, o.rule.record_type, _due(o.rule, ctx)) for o in outcomes)
    finally:
        store.release_run(ctx.db, run_id)
    audit(ctx, "retention_run", RESOURCE, detail=f"run {run_id}: {resumed} resumed; {_counted(outcomes)}; "
                                                 f"{remaining} remaining")
    return _answer(ctx, outcomes, run_id=run_id, dry_run=False, resumed=resumed, remaining=remaining)


def _batches(ctx: Context, rule: RetentionRule, budget: int, skip: list[str]):
    """The ids of the records a rule reaches, a batch at a time, until `budget` of them were given.

    Each batch is read afresh: the records done since no longer match; those that failed are left out (`skip`).
    """
    given = 0
    while given < budget:
        where = AllOf(_due(rule, ctx), *([Filter("_id", "nin", skip)] if skip else []))
        batch = records_store.find_records(ctx.db, rule.record_type, where, [Sort("_id")],
                                           min(BATCH, budget - given), ["_id", "short_id", _display_key(rule)])
        if not batch:
            return
        given += len(batch)
        yield batch


def _dry_rule(ctx: Context, rule: RetentionRule, budget: int) -> RuleOutcome:
    """What a rule would change: the records, which identifying fields hold values, history entries, files."""
    record_type = RECORD_TYPES[rule.record_type]
    identifying = identifying_fields(ctx.config, rule.record_type)
    outcome = RuleOutcome(rule, due=records_store.count_records(ctx.db, rule.record_type, _due(rule, ctx)))
    for record in records_store.stream_records(ctx.db, rule.record_type, _due(rule, ctx)):
        if outcome.done >= budget:
            break
        outcome.done += 1
        if len(outcome.sample) < SAMPLE:
            outcome.sample.append(record.get(record_type.display_id) or record.get("short_id"))
        entries = store.all_history(ctx.db, record["_id"])
        if rule.action == DELETE:
            outcome.history_entries += len(entries)
            outcome.files += len(store.file_ids_of(ctx.db, record["_id"]))
            continue
        _, changes = redaction.stripped_data(record.get("data") or {}, identifying)
        for name in redaction.removed_names(changes):
            outcome.fields[name] = outcome.fields.get(name, 0) + 1
        outcome.history_entries += sum(1 for entry in entries if redaction.scrubbed_changes(
            entry.get("changes") or {}, identifying) != (entry.get("changes") or {}))
        outcome.files += len(store.file_ids_of(ctx.db, record["_id"], identifying.files))
    return outcome


def _run_rule(ctx: Context, rule: RetentionRule, run_id: str, budget: int) -> RuleOutcome:
    record_type = RECORD_TYPES[rule.record_type]
    outcome = RuleOutcome(rule, due=records_store.count_records(ctx.db, rule.record_type, _due(rule, ctx)))
    identifying = identifying_fields(ctx.config, rule.record_type)
    failed: list[str] = []
    for batch in _batches(ctx, rule, budget, failed):
        store.claim_run(ctx.db, run_id, now_ms(), LEASE)  # renew the lease, from the present moment
        for found in batch:
            try:
                counts = _apply(ctx, rule.action, record_type, found["_id"], identifying, rule.id, run_id)
            except Exception:  # noqa: BLE001 - one record's failure never stops the run; it stays listed under way
                log.exception("retention rule %s failed on %s %s", rule.id, rule.record_type, found["_id"])
                outcome.failed += 1
                failed.append(found["_id"])
                continue
            outcome.done += 1
            if len(outcome.sample) < SAMPLE:
                outcome.sample.append(found.get(record_type.display_id) or found.get("short_id"))
            for name in counts.get("fields", ()):
                outcome.fields[name] = outcome.fields.get(name, 0) + 1
            outcome.history_entries += counts.get("history_entries", 0)
            outcome.files += counts.get("files", 0)
    return outcome


def _resume(ctx: Context, run_id: str) -> int:
    """Finish the records a run before this one left under way; return how many."""
    finished = 0
    for pending in store.pending_records(ctx.db, MAX_LIMIT):
        record_type = RECORD_TYPES.get(pending["collection"])
        if record_type is None:
            continue
        identifying = identifying_fields(ctx.config, record_type.name)
        _apply(ctx, pending["action"], record_type, pending["record_id"], identifying, pending["rule"], run_id)
        finished += 1
    return finished


def _apply(ctx: Context, action: str, record_type: RecordType, record_id: str, identifying: IdentifyingFields,
           rule_id: str, run_id: str) -> dict[str, Any]:
    """Pseudonymise or delete one record, listed as under way from its first change to its last; audit it."""
    store.mark_pending(ctx.db, record_type.name, record_id, action, rule_id, run_id, ctx.now)
    if action == DELETE:
        counts = _delete(ctx, record_type, record_id)
    else:
        counts = _pseudonymise(ctx, record_type, record_id, identifying)
    store.unmark_pending(ctx.db, record_type.name, record_id)
    if counts is not None:
        detail = (f"rule {rule_id}; {len(counts.get('fields', ()))} fields, {counts['history_entries']} history "
                  f"entries, {counts['files']} files")
        audit(ctx, "pseudonymise" if action != DELETE else "retention_delete", record_type.name, record_id,
              detail=detail)
    return counts or {}


def _system(ctx: Context) -> Actor:
    """The record engine's actor of a retention write: the caller's name, no role (the use case checked it)."""
    return Actor(ctx.user_name, ctx.now, None)


def _pseudonymise(ctx: Context, record_type: RecordType, record_id: str,
                  identifying: IdentifyingFields) -> dict[str, Any] | None:
    try:
        record = redaction.pseudonymise_record(ctx.db, ctx.config, record_type, record_id, identifying, _system(ctx))
        removed = redaction.removed_names((record.get(records_store.PENDING) or {}).get("changes") or {})
    except redaction.AlreadyPseudonymised:  # a run died after the write: finish what follows it
        record = records_store.find_record(ctx.db, record_type.name, record_id)
        removed = []
    except NotFound:  # removed meanwhile (a run before this one left it listed): nothing is left to do
        return None
    history = redaction.scrub_history(ctx.db, record, identifying)
    files = store.delete_files(ctx.db, store.file_ids_of(ctx.db, record_id, identifying.files))
    store.delete_conflicts(ctx.db, record_id)
    after_write(ctx, record_type, record)  # its duplicate keys changed: its listings and pairs follow
    return {"fields": removed, "history_entries": history, "files": files}


def _delete(ctx: Context, record_type: RecordType, record_id: str) -> dict[str, Any] | None:
    record = records_store.find_record(ctx.db, record_type.name, record_id)
    if record is not None and not record.get(records_store.DELETED_AT):  # (a tombstone: a run died after removing it;
        keep_residue(ctx.db, ctx.config, record_type.name, record)  # what follows is done again)
    files = store.delete_files(ctx.db, store.file_ids_of(ctx.db, record_id))
    history = store.delete_history(ctx.db, record_id)
    store.delete_conflicts(ctx.db, record_id)
    store.forget_matches(ctx.db, record_type.name, record_id, (record or {}).get(MATCH_NAMED) or ())
    store.delete_alerts(ctx.db, record_id)
    store.delete_record(ctx.db, record_type.name, record_id, ctx.now)
    return {"fields": [], "history_entries": history, "files": files}
