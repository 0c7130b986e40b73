"""Build the MongoDB client: a real server (embedded SecantusDB or MongoDB) or mongomock."""
from __future__ import annotations

from typing import Any

import pymongo
from pymongo.database import Database

__all__ = ["Database", "connect", "ping"]


def connect(uri: str, db_name: str) -> Database:
    """Return the database `db_name` at `uri` ("mongomock://" gives an in-memory fake)."""
    if not uri:
        raise RuntimeError("MONGO_URI is empty: `abri serve` starts the embedded database, "
                           "or set ABRI_MONGO_URI to a MongoDB server")
    if uri.startswith("mongomock://"):
        import mongomock  # test-only dependency

        client: Any = mongomock.MongoClient(tz_aware=True)
    else:
        client = pymongo.MongoClient(uri, tz_aware=True, uuidRepresentation="standard",
                                     serverSelectionTimeoutMS=10_000, appname="abri")
    return client.get_database(db_name)


def ping(uri: str, timeout_ms: int = 500) -> bool:
    """Tell whether a MongoDB server answers at `uri`."""
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()
