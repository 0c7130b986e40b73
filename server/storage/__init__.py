"""The storage seam: the only package that imports pymongo or bson.

The client is built once per app (tz_aware, uuid-safe) and kept in app.extensions; domain code
receives a `Database` and calls the small functions of the modules here, which raise the storage
errors below instead of pymongo's.
"""
from __future__ import annotations

from flask import Flask, current_app

from server.storage.alerts import ensure_alert_indexes
from server.storage.attachments import ensure_attachment_indexes
from server.storage.auth import ensure_auth_indexes
from server.storage.client import connect, Database  # noqa: F401  (re-exported)
from server.storage.devices import ensure_device_indexes
from server.storage.sync import ensure_conflict_indexes
from server.storage.errors import DuplicateKey, StorageUnavailable  # noqa: F401  (re-exported)
from server.storage.exports import ensure_export_indexes
from server.storage.indexes import ensure_indexes
from server.storage.monitoring import COMMAND_OBSERVER, CommandTimer


def init_storage(app: Flask) -> None:
    """Connect to MongoDB (or the in-memory fake) and create the indexes; time every command if asked to."""
    observe = app.extensions.get(COMMAND_OBSERVER)  # set by server.monitoring: the metrics of database commands
    listeners = [CommandTimer(observe)] if observe is not None else []
    database = connect(app.config["MONGO_URI"], app.config["MONGO_DB_NAME"], listeners)
    app.extensions["abri_db"] = database
    ensure_indexes(database)
    ensure_auth_indexes(database)
    ensure_device_indexes(database)
    ensure_conflict_indexes(database)
    ensure_export_indexes(database)
    ensure_attachment_indexes(database)
    ensure_alert_indexes(database)


def get_db() -> Database:
    """Return the app's database handle."""
    return current_app.extensions["abri_db"]


__all__ = ["Database", "DuplicateKey", "StorageUnavailable", "connect", "get_db", "init_storage"]
