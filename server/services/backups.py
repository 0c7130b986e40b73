"""Backups that restore: one encrypted file holds everything Abri stores, read from one consistent snapshot.

The file (format 1):

    ABRI-BACKUP\\n                    magic
    u32 length, header (JSON)        format, cipher, scrypt parameters and salt, a key check, the nonce prefix
    frames                           u32 length, AES-256-GCM(zlib(plaintext)); the nonce is the prefix and the
                                     frame's number; the additional data bind the header, the number and whether
                                     it is the last frame, so a frame moved, dropped or cut off is detected
    the plaintext is a stream of items: u8 kind, u32 length, payload
        P  preamble (JSON): Abri version, schema version, database, when
        C  a collection begins (JSON): name, indexes
        D  a document: its BSON bytes
        E  the collection ends (JSON): name, count, sha256 of its documents' bytes
        M  the manifest (JSON), alone in the last frame: versions, counts, checksums

A restore reads the whole file once to check it (password, frames, counts and checksums) before it writes anything,
then writes it into an empty database. It leaves a mark while it runs, so that a server never starts on a restore
cut short, and a second `abri restore` starts that one over.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from server.errors import Conflict, Error, ServiceUnavailable, Unprocessable
from server.services.context import now_ms
from server.services.migrations import RESTORE_MARK, SCHEMA_VERSION, schema_version
from server.storage import Database
from server.storage import backup as store
from server.storage import schema as schema_store

MAGIC = b"ABRI-BACKUP\n"
FORMAT = 1
FRAME = 1 << 20                       # plaintext bytes per frame before compression
SCRYPT = {"n": 1 << 15, "r": 8, "p": 1}
PASSWORD_MIN_LENGTH = 12
SEQUENCE_GAP = 1_000_000_000          # numbers skipped after a restore (server/storage/backup.advance_sequences)
COUNTED = {"case": "cases", "incident": "incidents", "tracing_request": "tracing_requests", "users": "users",
           "record_history": "history_entries", "metadata_versions": "configuration_versions",
           "attachments.files": "attachments", "audit_log": "audit_entries"}


@dataclass
class Written:
    """A finished backup: where, and its manifest."""

    path: Path
    manifest: dict[str, Any]


def abri_version() -> str:
    """The installed Abri's version (the manifest says which release made a backup)."""
    try:
        return metadata.version("abri")
    except metadata.PackageNotFoundError:
        return "unknown"


def check_password(password: str | None) -> str:
    """Refuse a missing or short backup password."""
    if not password:
        raise Unprocessable(Error.BACKUP_PASSWORD_MISSING)
    if len(password) < PASSWORD_MIN_LENGTH:
        raise Unprocessable(Error.BACKUP_PASSWORD_SHORT, minimum=PASSWORD_MIN_LENGTH)
    return password


# -- writing -------------------------------------------------------------------------------------------------------

def write_backup(db: Database, out: Path, password: str) -> Written:
    """Write a backup of `db` to `out` (through a temporary file renamed at the end: a cut backup never looks whole)."""
    check_password(password)
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    plan = store.collection_plan(db)
    started = now_ms()
    try:
        with open(partial, "wb") as file, _Sealer(file, password) as sealer:
            manifest = _write_items(db, sealer, plan, started)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Written(out, manifest)


def _write_items(db: Database, sealer: "_Sealer", plan: list[dict[str, Any]], started: datetime) -> dict[str, Any]:
    version = schema_version(db)
    sealer.item(b"P", _json({"abri_version": abri_version(), "schema_version": version, "database": db.name,
                             "started_at": started.isoformat()}))
    collections = []
    try:
        with store.snapshot(db) as (how, session):
            config_version = store.published_version(db, session)
            for collection in plan:
                sealer.item(b"C", _json(collection))
                digest, count = hashlib.sha256(), 0
                for raw in store.read_collection(db, collection["name"], session):
                    sealer.item(b"D", raw)
                    digest.update(raw)
                    count += 1
                summary = {"name": collection["name"], "count": count, "sha256": digest.hexdigest()}
                sealer.item(b"E", _json(summary))
                collections.append({**summary, "indexes": len(collection["indexes"])})
    except store.NoSnapshot:
        raise ServiceUnavailable(Error.BACKUP_NO_SNAPSHOT) from None
    counts = {label: next((c["count"] for c in collections if c["name"] == name), 0) for name, label in COUNTED.items()}
    manifest = {"format": FORMAT, "abri_version": abri_version(), "schema_version": version,
                "config_version": config_version, "database": db.name, "snapshot": how,
                "started_at": started.isoformat(), "finished_at": now_ms().isoformat(), "counts": counts,
                "collections": collections}
    sealer.last(b"M", _json(manifest))
    return manifest


class _Sealer:
    """Items in, sealed frames out."""

    def __init__(self, file: BinaryIO, password: str) -> None:
        salt, prefix = os.urandom(16), os.urandom(4)
        key = _derive(password, salt, SCRYPT)
        header = {"format": FORMAT, "cipher": "AES-256-GCM", "compression": "zlib",
                  "kdf": {"name": "scrypt", **SCRYPT, "salt": _b64(salt)}, "key_check": _b64(_key_check(key)),
                  "nonce_prefix": _b64(prefix)}
        raw = _json(header)
        file.write(MAGIC + struct.pack(">I", len(raw)) + raw)
        self.file, self.aead, self.prefix = file, AESGCM(key), prefix
        self.bound = hashlib.sha256(MAGIC + raw).digest()
        self.buffer = bytearray()
        self.number = 0

    def __enter__(self) -> "_Sealer":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def item(self, kind: bytes, payload: bytes) -> None:
        self.buffer += kind + struct.pack(">I", len(payload)) + payload
        while len(self.buffer) >= FRAME:
            self._frame(bytes(self.buffer[:FRAME]), final=False)
            del self.buffer[:FRAME]

    def last(self, kind: bytes, payload: bytes) -> None:
        if self.buffer:
            self._frame(bytes(self.buffer), final=False)
            self.buffer.clear()
        self._frame(kind + struct.pack(">I", len(payload)) + payload, final=True)

    def _frame(self, plaintext: bytes, final: bool) -> None:
        nonce, extra = _nonce(self.prefix, self.number), _extra(self.bound, self.number, final)
        sealed = self.aead.encrypt(nonce, zlib.compress(plaintext, 3), extra)
        self.file.write(struct.pack(">I", len(sealed)) + sealed)
        self.number += 1


# -- reading -------------------------------------------------------------------------------------------------------

class _Opened:
    """A backup file opened with its password: its frames, decrypted and checked, as one stream of items."""

    def __init__(self, path: Path, password: str) -> None:
        self.path, self.name = Path(path), Path(path).name
        self.file = open(self.path, "rb")
        try:
            self._read_header(password)
        except BaseException:
            self.file.close()
            raise

    def close(self) -> None:
        self.file.close()

    def _read_header(self, password: str) -> None:
        if self.file.read(len(MAGIC)) != MAGIC:
            raise Unprocessable(Error.BACKUP_FOREIGN, file=self.name)
        try:
            (length,) = struct.unpack(">I", self.file.read(4))
            raw = self.file.read(length) if length < 65536 else b""
            header = json.loads(raw)
            kdf = header["kdf"]
            if header["format"] != FORMAT or kdf["name"] != "scrypt":
                raise ValueError("format")
            key = _derive(password, base64.b64decode(kdf["salt"]), {name: kdf[name] for name in ("n", "r", "p")})
            check, prefix = base64.b64decode(header["key_check"]), base64.b64decode(header["nonce_prefix"])
        except (ValueError, KeyError, TypeError, struct.error):
            raise self.damaged("header") from None
        if not hmac.compare_digest(check, _key_check(key)):
            raise Unprocessable(Error.BACKUP_KEY_WRONG, file=self.name)
        self.aead, self.prefix = AESGCM(key), prefix
        self.bound = hashlib.sha256(MAGIC + raw).digest()

    def damaged(self, where: str) -> Unprocessable:
        return Unprocessable(Error.BACKUP_DAMAGED, file=self.name, where=where)

    def frames(self) -> Iterator[tuple[bytes, bool]]:
        """Each frame's plaintext and whether it is the last; BACKUP_DAMAGED on anything out of place."""
        number = 0
        while True:
            head = self.file.read(4)
            if len(head) < 4:
                raise self.damaged(f"cut off after frame {number}")
            (length,) = struct.unpack(">I", head)
            sealed = self.file.read(length)
            if len(sealed) != length or length > 2 * FRAME + 1024:
                raise self.damaged(f"frame {number}")
            plaintext, final = None, False
            for final in (False, True):
                try:
                    plaintext = self.aead.decrypt(_nonce(self.prefix, number), sealed,
                                                  _extra(self.bound, number, final))
                    break
                except InvalidTag:
                    continue
            if plaintext is None:
                raise self.damaged(f"frame {number}")
            try:
                yield zlib.decompress(plaintext), final
            except zlib.error:
                raise self.damaged(f"frame {number}") from None
            number += 1
            if final:
                if self.file.read(1):
                    raise self.damaged("bytes after the last frame")
                return

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """(kind, payload) of every item, in order; the manifest last."""
        buffer = bytearray()
        for plaintext, final in self.frames():
            buffer += plaintext
            start = 0
            while len(buffer) - start >= 5:
                kind = bytes(buffer[start:start + 1])
                (length,) = struct.unpack(">I", buffer[start + 1:start + 5])
                if len(buffer) - start - 5 < length:
                    break
                yield kind, bytes(buffer[start + 5:start + 5 + length])
                start += 5 + length
            del buffer[:start]
            if final and buffer:
                raise self.damaged("the last frame")


def _checked_items(opened: _Opened) -> Iterator[tuple[bytes, Any]]:
    """The items of a backup, each checked in order: kind and parsed payload (documents stay bytes)."""
    current, digest, count = None, None, 0
    seen_preamble = False
    for kind, payload in opened.items():
        if kind == b"D":
            if current is None:
                raise opened.damaged("a document outside a collection")
            digest.update(payload)
            count += 1
            yield kind, payload
            continue
        try:
            parsed = json.loads(payload)
        except ValueError:
            raise opened.damaged(f"item {kind!r}") from None
        if kind == b"P":
            seen_preamble = True
        elif not seen_preamble:
            raise opened.damaged("no preamble")
        elif kind == b"C":
            current, digest, count = parsed, hashlib.sha256(), 0
        elif kind == b"E":
            if current is None or parsed != {"name": current["name"], "count": count, "sha256": digest.hexdigest()}:
                raise opened.damaged(f"collection {parsed.get('name')}")
            current = None
        elif kind != b"M":
            raise opened.damaged(f"item {kind!r}")
        yield kind, parsed


def read_manifest(path: Path, password: str) -> dict[str, Any]:
    """Check a backup from end to end (password, every frame, counts and checksums) and return its manifest."""
    opened = _Opened(path, password)
    try:
        manifest, collections = None, []
        for kind, parsed in _checked_items(opened):
            if kind == b"P":
                _refuse_newer(opened, parsed)
            elif kind == b"E":
                collections.append(parsed)
            elif kind == b"M":
                manifest = parsed
        if manifest is None or [{k: c[k] for k in ("name", "count", "sha256")} for c in manifest["collections"]] \
                != collections:
            raise opened.damaged("the manifest")
        return manifest
    finally:
        opened.close()


def _refuse_newer(opened: _Opened, preamble: Mapping[str, Any]) -> None:
    version = preamble.get("schema_version") or 0
    if version > SCHEMA_VERSION:
        raise Unprocessable(Error.BACKUP_TOO_NEW, file=opened.name, version=version, current=SCHEMA_VERSION)


# -- restoring -----------------------------------------------------------------------------------------------------

def restore_backup(db: Database, path: Path, password: str) -> dict[str, Any]:
    """Restore a backup into an empty database (or over a restore that was cut short); return its manifest."""
    check_password(password)
    unfinished = schema_store.find_mark(db, RESTORE_MARK)
    if unfinished is None:
        held = schema_store.holds_user_data(db)
        if held:
            raise Conflict(Error.RESTORE_NOT_EMPTY, database=db.name, collections=", ".join(held[:5]))
    manifest = read_manifest(path, password)   # every check before the first write
    if unfinished is not None:
        schema_store.drop_collections(db, [name for name in unfinished.get("collections", []) if name != "settings"])
    names = [collection["name"] for collection in manifest["collections"]]
    schema_store.put_mark(db, RESTORE_MARK, {"state": "running", "file": Path(path).name, "collections": names,
                                             "started_at": now_ms()})
    schema_store.clear_settings(db, keep=RESTORE_MARK)  # an empty instance's schema stamp: the backup brings its own
    opened = _Opened(path, password)
    try:
        _write_all(db, opened)
    finally:
        opened.close()
    store.advance_sequences(db, SEQUENCE_GAP)
    schema_store.mark_restored(db, {"restored_at": now_ms(), "restored_from": manifest["started_at"],
                                    "lineage": os.urandom(8).hex()}, manifest.get("schema_version") or 0)
    schema_store.drop_mark(db, RESTORE_MARK)
    return manifest


def _write_all(db: Database, opened: _Opened) -> None:
    current, batch, size = None, [], 0
    for kind, parsed in _checked_items(opened):
        if kind == b"C":
            current, batch, size = parsed, [], 0
        elif kind == b"D":
            batch.append(parsed)
            size += len(parsed)
            if len(batch) >= store.INSERT_BATCH or size >= store.INSERT_BYTES:
                _flush(db, current["name"], batch)
                batch, size = [], 0
        elif kind == b"E":
            _flush(db, current["name"], batch)
            store.create_indexes(db, current["name"], current["indexes"])  # after the data: 9 min at 100,000 cases on SecantusDB, against more than 13 before
            batch, size = [], 0


def _flush(db: Database, name: str, batch: list[bytes]) -> None:
    if name == "settings":  # the restore's own mark lives there: the backup's documents go in beside it
        batch = [raw for raw in batch if not raw_has_id(raw, RESTORE_MARK)]
    store.write_documents(db, name, batch)


def raw_has_id(raw: bytes, identifier: str) -> bool:
    """Tell whether a BSON document's _id is the string `identifier`."""
    return store.document_id(raw) == identifier


# -- schedules -----------------------------------------------------------------------------------------------------

PREFIX, SUFFIX = "abri-", ".abribak"


def scheduled_name(database: str, at: datetime) -> str:
    """The file name of a scheduled backup: the database and the moment, sortable."""
    return f"{PREFIX}{database}-{at.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}{SUFFIX}"


def moment_of(name: str, database: str) -> datetime | None:
    """When a scheduled backup of `database` was made, from its file name (None: not one of ours)."""
    head = f"{PREFIX}{database}-"
    if not (name.startswith(head) and name.endswith(SUFFIX)):
        return None
    try:
        return datetime.strptime(name[len(head):-len(SUFFIX)], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def backups_to_keep(moments: list[datetime], daily: int, weekly: int) -> set[datetime]:
    """The newest backup of each of the `daily` most recent days that have one, and of each of the `weekly` most
    recent ISO weeks that have one."""
    newest_first = sorted(moments, reverse=True)
    keep: set[datetime] = set()
    for count, period in ((daily, lambda m: m.date()), (weekly, lambda m: m.isocalendar()[:2])):
        seen: list[Any] = []
        for moment in newest_first:
            if period(moment) not in seen:
                if len(seen) == count:
                    break
                seen.append(period(moment))
                keep.add(moment)
    return keep


def write_scheduled(db: Database, folder: Path, password: str, daily: int, weekly: int) -> tuple[Written, list[Path]]:
    """Write a backup into `folder` and delete the scheduled backups the retention no longer keeps."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = write_backup(db, folder / scheduled_name(db.name, now_ms()), password)
    found = {moment: path for path in folder.iterdir() if (moment := moment_of(path.name, db.name)) is not None}
    keep = backups_to_keep(list(found), max(daily, 1), weekly) | {moment_of(written.path.name, db.name)}
    removed = []
    for moment, path in sorted(found.items()):
        if moment not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return written, removed


# -- small helpers -------------------------------------------------------------------------------------------------

def _derive(password: str, salt: bytes, cost: Mapping[str, int]) -> bytes:
    if not (1 << 10 <= cost["n"] <= 1 << 20 and 1 <= cost["r"] <= 32 and 1 <= cost["p"] <= 16):
        raise ValueError("cost")
    return Scrypt(salt=salt, length=32, n=cost["n"], r=cost["r"], p=cost["p"]).derive(password.encode("utf-8"))


def _key_check(key: bytes) -> bytes:
    return hmac.new(key, b"abri backup key check", hashlib.sha256).digest()[:16]


def _nonce(prefix: bytes, number: int) -> bytes:
    return prefix + struct.pack(">Q", number)


def _extra(bound: bytes, number: int, final: bool) -> bytes:
    return bound + struct.pack(">QB", number, 1 if final else 0)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")  # key order kept: SecantusDB compares index options in order


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")

