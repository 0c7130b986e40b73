"""The records reports count, kept in this process and brought up to date before each report: fresh to the second.

Why not aggregate in the database: the embedded database reads 6,000 to 20,000 documents a second, whatever the query
(bench/bench_reports.py: 38 s for one `$group` over 100,000 cases, 17 s to read them projected), so no report over a
country's cases could answer in two seconds there. This cache answers from memory instead.

What is kept: of each record, the envelope parts reports and dashboards read (status, stage, agency, owner, creation
time, derived service and task summaries, referrals without their notes, access keys) and the data paths the
published reports read (a subform's rows hold only the row fields named), in the stored shape, so the engine reads a
cached record and a stored one alike. Residues of deleted records (server/reports/residues.py) replace them by id.
An index of the records by access key gives a caller's scope without reading the others.

What is counted: for each published report in use, a tally keeps each record's contribution (server/reports/engine.py)
and their sum over every record, updated record by record as records change: a report over every record reads the
sum, a report over a scope adds up the contributions of the scope's records.

How it stays fresh: every write numbers the record in its collection's sequence. Before each report the cache reads
the records numbered after its position (one indexed range; none, most of the time). A number is taken before its
write commits, so the position only moves past records numbered more than SETTLE seconds ago; the newer ones are read
again next time (a few). Several processes each keep their own cache, each fresh by the same rule. When the published
reports read other fields, the cache is read again whole.

How a process starts: after it has read many records it writes a snapshot of the cache (a few large documents,
server/storage/reports.py); a process that starts reads the snapshot, then the records written since.
"""
from __future__ import annotations

import sys
import time
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field as dc_field
from threading import Lock
from typing import Any, Hashable, Iterable

from server.metadata.configuration import Configuration
from server.metadata.report_definition import Report, read_report
from server.reports.engine import NOTHING, Contribution, Lookups, Table, add, contribution_of, empty_table
from server.storage import Database, reports as store
from server.storage.records import ACCESS, EVERY_RECORD_KEY, NUMBERED_AT, SEQUENCE

SETTLE = 10.0   # seconds: WRITE_LEASE (server/storage/records.py) plus the clocks' disagreement, as sync pulls use
# A snapshot is written after a process read more than SNAPSHOT_AFTER records since the last one (a first full read
# included): a process that starts then reads the snapshot and the records written since, not every record.
SNAPSHOT_AFTER = 5_000
TALLIES = 32    # the tallies one record type keeps (each published report in use, for each agency typing)
ENVELOPE = ("status", "stage", "owned_by", "owned_by_agency", "record_state", "module_id", "created_at", "services",
            "transitions", "tasks", "pending_approvals")
TRANSITION_KEYS = ("type", "status", "to_agency", "from_agency", "created_at", "accepted_at", "done_at", "rejected_at",
                   "revoked_at", "consent_overridden")


def fields_read(config: Configuration, record_type: str) -> frozenset[str]:
    """The data paths ("sex", "services_section.service_type") the published reports of a record type read."""
    paths: set[str] = set()
    for body in config.reports.values():
        if body.get("record_type") == record_type:
            report = read_report(config, body)
            if not report.problems:
                paths |= report.paths()
    return frozenset(paths)


def _intern(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) and len(value) < 40 else value


def _interned(value: Any) -> Any:
    if isinstance(value, list):
        return [_interned(item) for item in value]
    if isinstance(value, dict):
        return {key: _interned(item) for key, item in value.items()}
    return _intern(value)


def trimmed(document: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """What the cache keeps of a stored record (or residue)."""
    kept = {key: _interned(document[key]) for key in ENVELOPE if key in document and key != "transitions"}
    if document.get("transitions"):
        kept["transitions"] = [{key: _intern(t.get(key)) for key in TRANSITION_KEYS if t.get(key) is not None}
                               for t in document["transitions"] if isinstance(t, dict)]
    kept["data"] = trimmed_data(document.get("data") or {}, fields)
    kept[ACCESS] = tuple(_intern(key) for key in document.get(ACCESS) or ())
    return kept


def trimmed_data(data: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """The values of `paths` of a record's data: a top-level field whole, a subform's rows with the named fields."""
    kept: dict[str, Any] = {}
    rows: dict[str, set[str]] = {}
    for path in paths:
        name, _, row_field = path.partition(".")
        if row_field:
            rows.setdefault(name, set()).add(row_field)
        elif name in data:
            kept[name] = _interned(data[name])
    for name, wanted in rows.items():
        value = data.get(name)
        if isinstance(value, list):
            kept[name] = [{key: _interned(item) for key, item in row.items() if key in wanted}
                          for row in value if isinstance(row, dict)]
    return kept


def projection(fields: Iterable[str]) -> list[str]:
    """The stored paths to read: the envelope and the data paths ("a.b" only when "a" is not read whole)."""
    whole = {path for path in fields if "." not in path}
    return [*ENVELOPE, *(f"data.{path}" for path in sorted(fields)
                         if "." not in path or path.partition(".")[0] not in whole)]


@dataclass
class Tally:
    """One report's contribution of each record (NOTHING is not kept), and their sum over every record.

    Equal contributions are one object (most records of a report contribute one of a few hundred), so a tally costs
    about a dictionary entry per record.
    """

    contribute: Any
    by_record: dict[str, Contribution]
    total: Table
    shared: dict[Contribution, Contribution] = dc_field(default_factory=dict)

    def update(self, record_id: str, record: dict[str, Any] | None) -> None:
        before = self.by_record.get(record_id, NOTHING)
        after = self.contribute(record) if record is not None else NOTHING
        if before == after:
            return
        after = self.shared.setdefault(after, after)
        add(self.total, before, -1)
        add(self.total, after)
        if after is NOTHING:
            self.by_record.pop(record_id, None)
        else:
            self.by_record[record_id] = after


@dataclass
class Facts:
    """One record type's records as reports read them, how far in the sequence they are known, and the tallies."""

    fields: frozenset[str]
    records: dict[str, dict[str, Any]] = dc_field(default_factory=dict)
    by_key: dict[str, set[str]] = dc_field(default_factory=dict)   # access key -> ids of the records carrying it
    tallies: "OrderedDict[Hashable, Tally]" = dc_field(default_factory=OrderedDict)
    position: int = 0          # every record numbered at or below is known (and settled)
    residue_position: int = 0
    refreshed_at: float = 0.0  # when the last refresh read the database (seconds since the epoch)
    residue_ids: set[str] = dc_field(default_factory=set)   # records deleted since: a late copy never revives them
    unsnapshotted: int = 0     # records read since the last snapshot was read or written
    lock: Lock = dc_field(default_factory=Lock)

    @property
    def fields_key(self) -> str:
        return ",".join(sorted(self.fields))

    # --- keeping the records -------------------------------------------------------------------------------------

    def _put(self, record_id: str, record: dict[str, Any]) -> None:
        before = self.records.get(record_id)
        old_keys = set(before.get(ACCESS) or ()) if before else set()
        new_keys = set(record.get(ACCESS) or ())
        for key in old_keys - new_keys:
            self.by_key.get(key, set()).discard(record_id)
        for key in new_keys - old_keys:
            self.by_key.setdefault(key, set()).add(record_id)
        self.records[record_id] = record
        for tally in self.tallies.values():
            tally.update(record_id, record)

    def load_snapshot(self, db: Database, record_type: str) -> bool:
        """Start from the record type's snapshot made for these fields, if there is one (whole)."""
        found = store.read_snapshot(db, record_type, self.fields_key)
        if found is None:
            return False
        head, records = found
        for record in records:
            key = record.pop("_id")
            if record.pop("_residue", False):
                self.residue_ids.add(key)
            self._put(key, record)
        self.position, self.residue_position = head.get("position", 0), head.get("residue_position", 0)
        return True

    def keep_snapshot(self, db: Database, record_type: str) -> None:
        """Write a snapshot when many records were read since the last one."""
        if self.unsnapshotted < SNAPSHOT_AFTER:
            return
        records = ({"_id": key, **record, **({"_residue": True} if key in self.residue_ids else {})}
                   for key, record in self.records.items())
        store.ensure_snapshot_indexes(db)
        store.write_snapshot(db, record_type, self.fields_key,
                             {"position": self.position, "residue_position": self.residue_position},
                             records, uuid.uuid4().hex, time.time())
        self.unsnapshotted = 0

    def refresh(self, db: Database, record_type: str) -> None:
        """Read the records and residues numbered after the positions; move the positions past the settled ones."""
        started = time.time()
        changed = store.records_after(db, record_type, self.position, projection(self.fields))
        self.position, read = self._take(changed, started, self.position)
        residues = store.residues_after(db, record_type, self.residue_position)
        self.residue_position, residues_read = self._take(residues, started, self.residue_position, residue=True)
        self.unsnapshotted += read + residues_read
        self.refreshed_at = started

    def _take(self, documents: Iterable[dict[str, Any]], started: float, position: int,
              residue: bool = False) -> tuple[int, int]:
        """Keep the documents read; return the new position and how many were read."""
        settled, read = True, 0
        for document in documents:
            read += 1
            if residue or document["_id"] not in self.residue_ids:
                self._put(document["_id"], trimmed(document, self.fields))
            if residue:
                self.residue_ids.add(document["_id"])
            settled = settled and document.get(NUMBERED_AT, 0) < started - SETTLE
            if settled:
                position = document[SEQUENCE]
        return position, read

    # --- reading them ----------------------------------------------------------------------------------------------

    def scoped_ids(self, keys: Iterable[str]) -> set[str] | None:
        """The ids of the records carrying one of `keys` (None: every record, the scope "all")."""
        keys = set(keys)
        if EVERY_RECORD_KEY in keys:
            return None
        found: set[str] = set()
        for key in keys:
            found |= self.by_key.get(key, set())
        return found

    def scoped_records(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        ids = self.scoped_ids(keys)
        return list(self.records.values()) if ids is None else [self.records[i] for i in ids if i in self.records]

    def table(self, report: Report, lookups: Lookups, tally_key: Hashable, keys: Iterable[str]) -> Table:
        """The report counted over the records carrying one of `keys` (a copy: the caller may read it unlocked)."""
        tally = self.tallies.get(tally_key)
        if tally is None:
            tally = Tally(contribution_of(report, lookups), {}, empty_table(report))
            for record_id, record in self.records.items():
                tally.update(record_id, record)
            self.tallies[tally_key] = tally
            while len(self.tallies) > TALLIES:
                self.tallies.popitem(last=False)
        self.tallies.move_to_end(tally_key)
        ids = self.scoped_ids(keys)
        if ids is None:
            total = tally.total
            return Table(total.row_dimensions, total.column_dimensions,
                         {cell: dict(value) if isinstance(value, dict) else value for cell, value in total.cells.items()},
                         total.duration, total.units, total.reversed_durations, total.multiple_records)
        table = empty_table(report)
        for record_id in ids:
            add(table, tally.by_record.get(record_id, NOTHING))
        return table


# One cache per database (client and name) and record type, in this process.
_caches: dict[tuple[int, str, str], tuple[weakref.ref, Facts]] = {}
_caches_lock = Lock()


def facts_of(db: Database, config: Configuration, record_type: str, extra: Iterable[str] = ()) -> Facts:
    """The record type's facts, brought up to date now (read whole the first time or when reports read new fields).

    `extra`: data paths a report being previewed reads beyond the published reports' (kept from then on).
    """
    fields = fields_read(config, record_type) | frozenset(extra)
    key = (id(db.client), db.name, record_type)
    with _caches_lock:
        entry = _caches.get(key)
        facts = entry[1] if entry and entry[0]() is db.client else None
        if facts is None or not fields <= facts.fields:
            facts = Facts(fields | (facts.fields if facts else frozenset()))
            for gone in [k for k, (client, _) in _caches.items() if client() is None]:   # closed apps' caches
                del _caches[gone]
            _caches[key] = (weakref.ref(db.client), facts)
    with facts.lock:
        if not facts.refreshed_at:
            facts.load_snapshot(db, record_type)
        facts.refresh(db, record_type)
        facts.keep_snapshot(db, record_type)
    return facts


def forget(db: Database) -> None:
    """Drop this database's caches (a restore or a test that rewrote it from under the sequence)."""
    with _caches_lock:
        for key in [key for key in _caches if key[0] == id(db.client) and key[1] == db.name]:
            del _caches[key]
