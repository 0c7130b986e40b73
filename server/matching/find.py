"""Find the cases that may be the child some data describe: one indexed query by the data's keys, then a score for
each candidate. No permission here: the application layer (server/services/matching.py) decides who sees what."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

from server.matching.score import (Match, Profile, compare, is_wide, lookup_keys, name_floor, names_alike, profile,
                                   record_names, stored_keys)
from server.metadata.configuration import Configuration
from server.metadata.matching import Matching
from server.storage import Database
from server.storage import matching as store
from server.storage.records import ACCESS

CASE, TRACING_REQUEST = "case", "tracing_request"
CANDIDATES = 500   # the most candidates one match reads (a name and birth year shared by more is not a lead)


def matches(db: Database, config: Configuration, rules: Matching, collection: str, data: dict[str, Any],
            created: datetime | date | None, exclude: Iterable[str] = ()) -> list[tuple[dict[str, Any], Match]]:
    """The records of `collection` the data may be a duplicate of, best first, with their match."""
    probe = profile(rules, data, created)
    return rank(config, rules, probe, candidates(db, rules, collection, probe, exclude))


def candidates(db: Database, rules: Matching, collection: str, probe: Profile,
               exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The records of `collection` a profile's keys find (cases; or tracing requests, read with their traces): those
    holding one of its narrow keys, and of those listed under its wide keys, the ones whose names are alike enough
    to reach "possible", the most alike first."""
    fields = rules.read_fields if collection == CASE else (rules.traces.subform,) if rules.traces else ()
    keys = lookup_keys(rules, probe)
    found = store.candidates(db, collection, [key for key in keys if not is_wide(key)], exclude, CANDIDATES, fields)
    wide = [key for key in keys if is_wide(key)]
    if not wide or len(found) >= CANDIDATES:
        return found
    seen = {record["_id"] for record in found} | set(exclude)
    floor = name_floor(rules)
    alike = []
    for record_id, names in store.names_under(db, collection, wide).items():
        if record_id in seen:
            continue
        similarity = names_alike(probe, names)
        if similarity >= floor:
            alike.append((-similarity, record_id))
    chosen = [record_id for _, record_id in sorted(alike)[:CANDIDATES - len(found)]]
    return found + store.records_of(db, collection, chosen, seen, fields)


def rank(config: Configuration, rules: Matching, probe: Profile,
         found: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Match]]:
    scored = []
    for record in found:
        match = compare(rules, probe, profile(rules, record.get("data") or {}, record.get("created_at")),
                        config.locations)
        if match is not None:
            scored.append((record, match))
    scored.sort(key=lambda item: (-item[1].score, item[0]["_id"]))
    return scored


def traces_of(rules: Matching, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(trace id, the trace's data as the case fields it is compared as) of each child a tracing request seeks."""
    if rules.traces is None:
        return []
    rows = data.get(rules.traces.subform)
    found = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("unique_id"), str):
            found.append((row["unique_id"], {case_field: row[name] for name, case_field in rules.traces.fields.items()
                                             if name in row}))
    return found


def record_keys(rules: Matching, record_type: str, data: dict[str, Any], created: datetime | date | None
                ) -> list[str]:
    """The keys a record is stored with: a case's, or those of every trace of a tracing request."""
    if record_type == CASE:
        return stored_keys(rules, profile(rules, data, created))
    keys: list[str] = []
    for _, trace in traces_of(rules, data):
        keys += [key for key in stored_keys(rules, profile(rules, trace, created)) if key not in keys]
    return keys


def names_of(rules: Matching, record_type: str, data: dict[str, Any]) -> list[str]:
    """The child's names a record is listed with under its wide keys: a case's, or those of every trace."""
    if record_type == CASE:
        return record_names(profile(rules, data))
    names: list[str] = []
    for _, trace in traces_of(rules, data):
        names += [name for name in record_names(profile(rules, trace)) if name not in names]
    return names


def pairs_of(db: Database, config: Configuration, rules: Matching, record_type: str,
             record: dict[str, Any]) -> list[dict[str, Any]]:
    """The potential duplicates of a record as pairs to keep: a case with other cases and with the traces that may
    be it; a tracing request's traces with cases. A disabled record has none."""
    if not record.get("record_state"):
        return []
    created = record.get("created_at")
    if record_type == CASE:
        probe = profile(rules, record["data"], created)
        found = [_pair(CASE, record, other, match)
                 for other, match in rank(config, rules, probe, candidates(db, rules, CASE, probe, [record["_id"]]))]
        for request in candidates(db, rules, TRACING_REQUEST, probe):
            for trace_id, trace in traces_of(rules, request.get("data") or {}):
                match = compare(rules, profile(rules, trace, request.get("created_at")), probe, config.locations)
                if match is not None:
                    found.append(_pair(TRACING_REQUEST, request, record, match, trace_id))
        return found
    found = []
    for trace_id, trace in traces_of(rules, record["data"]):
        found += [_pair(TRACING_REQUEST, record, case, match, trace_id)
                  for case, match in matches(db, config, rules, CASE, trace, created)]
    return found


def _pair(record_type: str, one: dict[str, Any], other: dict[str, Any], match: Match,
          trace: str | None = None) -> dict[str, Any]:
    """A pair as stored: a trace pair is (tracing request, case); a case pair is in id order."""
    first, second = (one, other) if trace or one["_id"] < other["_id"] else (other, one)
    return {"_id": store.pair_id(record_type, first["_id"], second["_id"], trace), "record_type": record_type,
            "records": [first["_id"], second["_id"]], "trace": trace, "module_id": first.get("module_id"),
            "score": match.score, "level": match.level, "agree": list(match.agree),
            "identifiers": list(match.identifiers),
            "access_0": list(first.get(ACCESS) or ()), "access_1": list(second.get(ACCESS) or ())}
