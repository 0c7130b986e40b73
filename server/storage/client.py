"""Build the MongoDB client: a real server (embedded SecantusDB or MongoDB) or mongomock.

Abri acknowledges a write only once it is durable, so every write goes with a write concern of
`j: true` (in the journal on disk) and, on a replica set or a sharded cluster, `w: "majority"`
(a write a majority holds survives the loss of the primary). The URI may choose another `w`
(`?w=2`) and a time limit (`?wTimeoutMS=`); it may not turn acknowledgement or the journal off.
It may also set how long to wait for a server (`?serverSelectionTimeoutMS=`, 10 s by default).

pymongo logs every command it sends, documents included, at DEBUG: its loggers never go below INFO, whatever
ABRI_LOG_LEVEL says, so that no record data reach a log.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

import pymongo
from pymongo.database import Database
from pymongo.write_concern import WriteConcern

from server.config import SettingInvalid
from server.messages import _l
from server.storage.errors import translated_errors

__all__ = ["Database", "authenticates", "connect", "disconnect", "durable_write_concern", "make_sole_user", "ping"]

logging.getLogger("pymongo").setLevel(logging.INFO)


def connect(uri: str, db_name: str, listeners: Iterable[Any] = ()) -> Database:
    """Return the database `db_name` at `uri` ("mongomock://" gives an in-memory fake, which has no listeners).

    `listeners`: pymongo event listeners of the client (server.storage.monitoring.CommandTimer).
    """
    if not uri:
        raise RuntimeError("MONGO_URI is empty: `abri serve` starts the embedded database, "
                           "or set ABRI_MONGO_URI to a MongoDB server")
    if uri.startswith("mongomock://"):
        import mongomock  # test-only dependency
        import mongomock.gridfs

        _prepare_mongomock(mongomock)
        client: Any = mongomock.MongoClient(tz_aware=True)
        return client.get_database(db_name)
    options = {} if "serverselectiontimeoutms=" in uri.lower() else {"serverSelectionTimeoutMS": 10_000}
    client = pymongo.MongoClient(uri, tz_aware=True, uuidRepresentation="standard", appname="abri",
                                 event_listeners=list(listeners), **options)
    try:
        write_concern = durable_write_concern(client)
    except BaseException:
        client.close()
        raise
    return client.get_database(db_name, write_concern=write_concern)


_mock_prepared: list[bool] = []


def _prepare_mongomock(mongomock: Any) -> None:
    """Let mongomock (the tests' in-memory fake) take what Abri sends it, once per process: gridfs on its databases
    (a patch of gridfs's type checks), and pymongo's UpdateOne in its bulk writes (pymongo passes `sort`, None unless
    asked for, which mongomock's bulk builder does not take)."""
    if _mock_prepared:
        return
    mongomock.gridfs.enable_gridfs_integration()
    builder = mongomock.collection.BulkOperationBuilder
    add_update = builder.add_update

    def taking_sort(self, *args, sort=None, **kwargs):
        if sort is not None:
            raise NotImplementedError("mongomock cannot sort the documents of an update")
        return add_update(self, *args, **kwargs)
    builder.add_update = taking_sort
    _mock_prepared.append(True)


_DURABLE = _l("a URI whose writes are acknowledged and journaled (durable): remove journal=false and w=0")


class WritesNotDurable(SettingInvalid, RuntimeError):
    """A URI that turns acknowledged, journaled writes off: Abri acknowledges a write only once it is durable."""


def disconnect(database: Database) -> None:
    """Close the client of `database` (its monitor threads stop and its server sessions end now)."""
    database.client.close()


def durable_write_concern(client: pymongo.MongoClient) -> WriteConcern:
    """Return `j: true` with the URI's `w`, or `w: "majority"` when the server replicates."""
    chosen = client.write_concern.document
    if chosen.get("j") is False or chosen.get("w") == 0:
        raise WritesNotDurable(name="ABRI_MONGO_URI", value="journal=false" if chosen.get("j") is False else "w=0",
                               allowed=_DURABLE)
    w = chosen.get("w")
    if w is None:
        w = "majority" if _replicated(client) else 1
    return WriteConcern(w=w, j=True, wtimeout=chosen.get("wtimeout"))


def _replicated(client: pymongo.MongoClient) -> bool:
    """Tell whether the server is a replica set member or a sharded cluster's router."""
    with translated_errors():
        hello = client.admin.command("hello")
    return bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"


def ping(uri: str, timeout_ms: int = 500, **options: Any) -> bool:
    """Tell whether a MongoDB server answers at `uri` (`options`: TLS client settings)."""
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms, **options)
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


def authenticates(uri: str) -> bool:
    """Tell whether the user and password in `uri` are accepted (False: refused; errors otherwise)."""
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=10_000)
    try:
        client.admin.command("listDatabases", nameOnly=True)
        return True
    except pymongo.errors.OperationFailure as error:
        if error.code == 18:  # AuthenticationFailed
            return False
        raise
    finally:
        client.close()


def make_sole_user(uri: str, user: str, password: str, **options: Any) -> None:
    """Make `user` (all rights, SCRAM-SHA-256) the only user of the server at `uri`.

    Any other user is dropped: it could only have been made while the server ran without
    authentication, by someone who is not Abri.
    """
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=10_000, **options)
    try:
        for row in list(client.admin["system.users"].find({}, {"user": 1, "db": 1})):
            client[row["db"]].command("dropUser", row["user"])
        client.admin.command("createUser", user, pwd=password, roles=["root"], mechanisms=["SCRAM-SHA-256"],
                             writeConcern={"w": 1, "j": True})
        client.admin.command("fsync")  # a checkpoint: the server may now be stopped any way
    finally:
        client.close()
