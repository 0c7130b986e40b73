"""No acknowledged write is lost: journaled writes, kill -9 of the database, a publish that dies midway."""
from __future__ import annotations

import contextlib
import copy
import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from server.config import PROJECT_ROOT
from server.errors import AbriError, Unprocessable
from server.metadata import draft as drafts
from server.metadata.configuration import Configuration
from server.metadata.versions import LanguageSettings, current_version, published_configuration
from server.records import service
from server.records.types import RECORD_TYPES
from server.storage import connect, get_db, metadata as store
from server.storage.client import durable_write_concern
from tests.builders import field, minimal_configuration
from tests.conftest import make_app

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
LANGUAGES = LanguageSettings(("en", "fr"), "en")
CASE = RECORD_TYPES["case"]


def with_weight(type_: str) -> Configuration:
    """The minimal configuration with a `weight` field of `type_` on the identity form."""
    config = minimal_configuration()
    config.forms["basic_identity"]["fields"].append(field("weight", type_))
    return Configuration.from_documents(copy.deepcopy(list(config.documents())))


def publish(db, config: Configuration) -> dict:
    drafts.replace_draft(db, list(config.documents()), "ana", NOW, force=True)
    return drafts.publish_draft(db, LANGUAGES, "ana", NOW)


def hold_weight(db) -> None:
    """A case that holds a weight: while it does, the type of weight cannot change."""
    db["case"].insert_one({"_id": str(uuid.uuid4()), "data": {"weight": 12.5}})


def refused_field_changes(db, config: Configuration) -> list[str]:
    """Publish `config`; return the fields the checks refused to change (nothing published then)."""
    with pytest.raises(Unprocessable) as refused:
        publish(db, config)
    return [d.field for d in refused.value.details if d.code == "PUBLISHED_FIELD_CHANGED"]


# -- Every write waits for the journal (and a majority) ------------------------------------------------

def test_every_write_is_journaled_and_waits_for_a_majority_of_the_replica_set(secantus_uri):
    db = connect(secantus_uri, "abri_write_concern")  # SecantusDB presents itself as a one-member replica set
    try:
        assert db.write_concern.document == {"w": "majority", "j": True}
        assert db["case"].write_concern.document == {"w": "majority", "j": True}
    finally:
        db.client.close()


def test_a_standalone_server_is_asked_for_journaled_writes():
    standalone = SimpleNamespace(write_concern=SimpleNamespace(document={}),
                                 admin=SimpleNamespace(command=lambda name: {"isWritablePrimary": True}))
    assert durable_write_concern(standalone).document == {"w": 1, "j": True}


def test_the_uri_may_choose_w_but_never_turn_acknowledgement_or_the_journal_off(secantus_uri):
    base = secantus_uri.rstrip("/") + "/"
    db = connect(base + "?w=1&wTimeoutMS=5000", "abri_write_concern")
    assert db.write_concern.document == {"w": 1, "j": True, "wtimeout": 5000}
    db.client.close()
    for option in ("journal=false", "w=0"):
        with pytest.raises(RuntimeError, match="durable"):
            connect(base + "?" + option, "abri_write_concern")


# -- kill -9 of the database during a burst of creates and updates ------------------------------------

class Acknowledgements:
    """The (record id, revision) of every write the storage layer acknowledged; `crash` runs at the `count`th."""

    def __init__(self, count: int, crash) -> None:
        self.pairs: list[tuple[str, int]] = []
        self.count, self.crash = count, crash
        self.lock = threading.Lock()
        self.crashed = threading.Event()

    def add(self, record: dict) -> None:
        with self.lock:
            self.pairs.append((record["_id"], record["revision"]))
            if len(self.pairs) == self.count:  # the moment the newest acknowledged write is most at risk
                self.crash()
                self.crashed.set()


def _burst(app, acknowledgements: Acknowledgements, stop: threading.Event) -> None:
    """Create cases and update each twice until `stop` or the database goes."""
    with app.app_context():
        db, config = get_db(), published_configuration(get_db())
        actor = service.Actor("tester", NOW)
        while not stop.is_set():
            try:
                record, _ = service.create_record(db, config, CASE, {"id": str(uuid.uuid4()), "data": {"name": "A"}},
                                                  actor)
                acknowledgements.add(record)
                for name in ("B", "C"):
                    acknowledgements.add(service.update_record(db, config, CASE, record["_id"], {"name": name}, None,
                                                               actor))
            except AbriError:  # the database is gone: this write was not acknowledged
                return


def lost_writes(app, acknowledged: list) -> list[str]:
    """Return the acknowledged writes whose revision or history entry is missing."""
    lost = []
    with app.app_context():
        db, config = get_db(), published_configuration(get_db())
        newest = {}
        for record_id, revision in acknowledged:
            newest[record_id] = max(revision, newest.get(record_id, 0))
        for record_id, revision in newest.items():
            try:
                record = service.get_record(db, CASE, record_id)
            except AbriError:
                lost.append(f"{record_id}: record missing")
                continue
            if record["revision"] < revision:
                lost.append(f"{record_id}: revision {record['revision']} < acknowledged {revision}")
            entries, _ = service.record_history(db, config, CASE, record_id, 1, 100, service.Actor("tester", NOW))
            missing = set(range(1, revision + 1)) - {entry["revision"] for entry in entries}
            if missing:
                lost.append(f"{record_id}: history of revisions {sorted(missing)} missing")
    return lost


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """Abri's embedded database, as `abri serve` starts it, on a data folder of this module's."""
    pytest.importorskip("secantus")
    from server.embedded import EmbeddedDatabase

    database = EmbeddedDatabase(tmp_path_factory.mktemp("instance") / "db").start()
    yield database
    database.kill()  # its data are thrown away: no need for a clean stop


def with_option(uri: str, option: str) -> str:
    return uri + ("&" if "?" in uri else "?") + option


@contextlib.contextmanager
def app_on(uri: str, **settings):
    """An app on the embedded database, closed after the block (its data stay: they are what is checked)."""
    application = make_app(uri, **settings)
    try:
        yield application
    finally:
        application.close()


def test_acknowledged_creates_and_updates_survive_kill_9_of_the_database(embedded):
    acknowledgements = Acknowledgements(150, lambda: os.kill(embedded.process.pid, signal.SIGKILL))
    stop = threading.Event()
    with app_on(with_option(embedded.uri, "serverSelectionTimeoutMS=500")) as app:
        with app.app_context():
            publish(get_db(), minimal_configuration())
        writers = [threading.Thread(target=_burst, args=(app, acknowledgements, stop)) for _ in range(4)]
        for writer in writers:
            writer.start()
        acknowledgements.crashed.wait(timeout=30)  # kill -9 right after an acknowledgement, with writes in flight
        stop.set()
        for writer in writers:
            writer.join()
        database_name = app.config["MONGO_DB_NAME"]
    embedded.process.wait()
    embedded.start()  # the same data folder
    with app_on(embedded.uri, MONGO_DB_NAME=database_name) as after:
        assert len(acknowledgements.pairs) >= 150
        assert lost_writes(after, acknowledgements.pairs) == []


# -- A publish that dies between its commit and its upkeep --------------------------------------------

class Crash(Exception):
    """The process dies here."""


def test_a_publish_that_dies_right_after_its_commit_still_fixes_the_types_of_its_fields(backend_app, monkeypatch):
    with backend_app.app_context():
        db = get_db()
        commit = store.insert_version

        def commit_then_die(db, version):
            commit(db, version)
            raise Crash()
        monkeypatch.setattr(store, "insert_version", commit_then_die)
        with pytest.raises(Crash):
            publish(db, with_weight("numeric_field"))
        monkeypatch.undo()
        assert current_version(db) == 2  # the commit happened: weight is published as a number
        hold_weight(db)
        assert refused_field_changes(db, with_weight("text_field")) == ["form:basic_identity/weight/type"]
        assert current_version(db) == 2
        publish(db, minimal_configuration())  # weight removed from the forms: its data stay numbers
        assert refused_field_changes(db, with_weight("text_field")) == ["form:basic_identity/weight/type"]


def test_a_draft_edit_after_a_publish_that_died_cannot_change_a_published_type(backend_app, monkeypatch):
    with backend_app.app_context():
        db = get_db()
        monkeypatch.setattr(store, "remember_fields", lambda *args: (_ for _ in ()).throw(Crash()))
        with pytest.raises(Crash):
            publish(db, with_weight("numeric_field"))
        monkeypatch.undo()
        hold_weight(db)
        weight_as_text = lambda form: {**form, "fields": [dict(f, type="text_field") if f["name"] == "weight" else f
                                                          for f in form["fields"]]}
        with pytest.raises(Unprocessable) as refused:
            drafts.modify_document(db, "form", "basic_identity", weight_as_text, None, LANGUAGES, "ana", NOW)
        assert [d.code for d in refused.value.details] == ["PUBLISHED_FIELD_CHANGED"]


CHILD = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime, timezone
    from server.metadata import draft as drafts
    from server.metadata.versions import LanguageSettings
    from server.storage import connect, metadata as store
    from tests.storage.test_durability import with_weight

    db = connect(sys.argv[1], sys.argv[2])
    commit = store.insert_version

    def commit_then_die(db, version):
        commit(db, version)
        os.kill(os.getpid(), signal.SIGKILL)
    store.insert_version = commit_then_die
    now = datetime.now(timezone.utc)
    drafts.replace_draft(db, list(with_weight("numeric_field").documents()), "ana", now, force=True)
    drafts.publish_draft(db, LanguageSettings(("en", "fr"), "en"), "ana", now)
""")


def test_a_publish_killed_with_the_database_after_its_commit_still_fixes_the_types_of_its_fields(embedded):
    with app_on(embedded.uri) as app:
        with app.app_context():
            publish(get_db(), minimal_configuration())
        database_name = app.config["MONGO_DB_NAME"]
    child = subprocess.run([sys.executable, "-c", CHILD, embedded.uri, database_name],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    embedded.kill()  # the whole stack went down
    embedded.start()
    with app_on(embedded.uri, MONGO_DB_NAME=database_name) as after, after.app_context():
        assert current_version(get_db()) == 2
        hold_weight(get_db())
        assert refused_field_changes(get_db(), with_weight("text_field")) == ["form:basic_identity/weight/type"]
