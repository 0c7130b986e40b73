"""Backup and restore at a country's scale (issue #22): `abri backup`'s work and `abri restore`'s on --cases cases.

    python bench/bench_backup.py --keep DIR [--cases 100000]

DIR is a database kept by `bench/bench_reports.py --keep DIR` (loading 100,000 cases takes about half an hour; this
script loads them the same way when DIR holds fewer). It writes a backup of the whole database (every collection,
from one snapshot), checks it from end to end, restores it into a new database on the same server, and prints the
times against the bare work on the same data: reading every collection's documents with pymongo (raw BSON, nothing
else), and inserting them into another database with insert_many (ratios measured in this run).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bson.codec_options import CodecOptions  # noqa: E402
from bson.raw_bson import RawBSONDocument  # noqa: E402

import bench_reports  # noqa: E402
from server.app import create_app  # noqa: E402
from server.metadata.bootstrap import bootstrap_configuration  # noqa: E402
from server.metadata.versions import LanguageSettings  # noqa: E402
from server.services import backups  # noqa: E402
from server.storage import backup as store, connect, get_db  # noqa: E402
from server.storage.client import disconnect  # noqa: E402

PASSWORD = "a long benchmark password"
RAW = CodecOptions(document_class=RawBSONDocument, tz_aware=True)


def ensure_cases(uri: str, count: int) -> None:
    """The bench_reports database with `count` cases (loaded as bench_reports loads them when missing)."""
    app = create_app({"MONGO_URI": uri, "MONGO_DB_NAME": "bench", "EXPORT_WORKER_THREADS": 0, "PROFILE": "bj"})
    try:
        with app.app_context():
            db = get_db()
            if db["case"].estimated_document_count() >= count:
                return
            db.client.drop_database("bench")
            bootstrap_configuration(db, ROOT / "metadata", LanguageSettings(("fr", "en"), "fr"), "bj")
        now = datetime.now(timezone.utc)
        bench_reports.make_people(app, now)
        seconds = bench_reports.load_cases(app, count, random.Random(21), now)
        print(f"loaded {count:,} cases in {seconds:.0f} s")
    finally:
        app.close()


def bare_read(db) -> tuple[float, list[tuple[str, list[bytes]]]]:
    """Every document of every collection Abri backs up, as raw BSON with pymongo, in _id order."""
    started = time.perf_counter()
    read = []
    for collection in store.collection_plan(db):
        cursor = db.get_collection(collection["name"], codec_options=RAW).find({}, batch_size=1000).sort("_id", 1)
        read.append((collection["name"], [document.raw for document in cursor]))
    return time.perf_counter() - started, read


def bare_insert(db, read: list[tuple[str, list[bytes]]]) -> float:
    started = time.perf_counter()
    for name, documents in read:
        target = db.get_collection(name, codec_options=RAW)
        for start in range(0, len(documents), store.INSERT_BATCH):
            batch = documents[start:start + store.INSERT_BATCH]
            if batch:
                target.insert_many([RawBSONDocument(raw) for raw in batch])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="the database kept by bench_reports.py --keep DIR")
    args = parser.parse_args()
    with bench_reports.database(args.keep) as uri:
        ensure_cases(uri, args.cases)
        source = connect(uri, "bench")
        try:
            for name in ("bench_restored", "bench_bare"):
                source.client.drop_database(name)
            if source.settings.find_one({"_id": "schema"}) is None:
                print("note: the kept database predates schema versions (version 0); restored, it migrates at start")
            counts = {name: source[name].estimated_document_count() for name in ("case", "record_history", "users")}
            print(f"database: {counts['case']:,} cases, {counts['record_history']:,} history entries, "
                  f"{counts['users']:,} users")
            bare_seconds, read = bare_read(source)
            documents = sum(len(documents) for _, documents in read)
            size = sum(len(raw) for _, documents in read for raw in documents)
            print(f"bare pymongo read of every collection: {bare_seconds:.1f} s ({documents:,} documents, "
                  f"{size / 1e6:.0f} MB of BSON)")
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "bench.abribak"
                started = time.perf_counter()
                written = backups.write_backup(source, path, PASSWORD)
                backup_seconds = time.perf_counter() - started
                print(f"abri backup: {backup_seconds:.1f} s, {path.stat().st_size / 1e6:.0f} MB file "
                      f"({written.manifest['snapshot']}); ratio backup/bare read {backup_seconds / bare_seconds:.2f}")
                started = time.perf_counter()
                backups.read_manifest(path, PASSWORD)
                print(f"abri restore --check (decrypt and verify every frame): {time.perf_counter() - started:.1f} s")
                del read  # the bare insert reads again below: keep one copy in memory at a time
                target = connect(uri, "bench_restored")
                started = time.perf_counter()
                backups.restore_backup(target, path, PASSWORD)
                restore_seconds = time.perf_counter() - started
                bare_target = connect(uri, "bench_bare")
                _, read = bare_read(source)
                bare_insert_seconds = bare_insert(bare_target, read)
                print(f"abri restore (check, then write and index): {restore_seconds:.1f} s; bare insert_many of the "
                      f"same documents (no index, no check): {bare_insert_seconds:.1f} s; ratio "
                      f"{restore_seconds / bare_insert_seconds:.2f}")
                restored = target["case"].count_documents({})
                print(f"restored {restored:,} cases (source {counts['case']:,})")
                for name in ("bench_restored", "bench_bare"):
                    source.client.drop_database(name)
                disconnect(target)
                disconnect(bare_target)
        finally:
            disconnect(source)


if __name__ == "__main__":
    main()
