"""Storage errors, raised instead of pymongo's so the layers above never import it."""
from __future__ import annotations

import contextlib
from typing import Iterator

import pymongo.errors

from server.errors import Conflict, ServiceUnavailable


class DuplicateKey(Conflict):
    """A unique index refused a write."""

    code = "ALREADY_EXISTS"


class StorageUnavailable(ServiceUnavailable):
    """The MongoDB server cannot be reached."""


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Turn pymongo's errors into storage errors."""
    try:
        yield
    except pymongo.errors.DuplicateKeyError as exc:
        raise DuplicateKey(details=[]) from exc
    except (pymongo.errors.ConnectionFailure, pymongo.errors.ServerSelectionTimeoutError) as exc:
        raise StorageUnavailable() from exc
    except (pymongo.errors.WriteConcernError, pymongo.errors.WTimeoutError) as exc:
        # The write could not be confirmed durable in time (w: majority and wTimeoutMS): the client retries.
        raise StorageUnavailable() from exc
