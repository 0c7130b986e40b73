"""The embedded database accepts only Abri: authentication always on, private files, no open window."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("secantus")
pymongo = pytest.importorskip("pymongo")

from server import embedded  # noqa: E402
from server.embedded import EmbeddedDatabase, free_port  # noqa: E402
from server.storage import connect  # noqa: E402


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def refusal(uri: str, timeout_ms: int = 2000, **options) -> str:
    """Try to read through `uri`; return the error, lower case (fails the test when the read is allowed)."""
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, **options)
    try:
        client.abri.case.find_one()
    except pymongo.errors.PyMongoError as error:
        return str(error).lower()
    finally:
        client.close()
    raise AssertionError(f"{uri} {options} could read the database")


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A first start of the embedded database, as `abri serve` does it, noting who could connect meanwhile."""
    attempts = []

    def made_while_others_try(uri, user, password, **tls):
        address = uri.removeprefix("mongodb://").rstrip("/")
        attempts.append(refusal(f"mongodb://{address}/", 300))  # without TLS
        # TLS without the one-time client certificate:
        attempts.append(refusal(f"mongodb://{address}/", 300, tls=True, tlsAllowInvalidCertificates=True))
        return make_sole_user(uri, user, password, **tls)

    make_sole_user = embedded.make_sole_user
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedded, "make_sole_user", made_while_others_try)
        database = EmbeddedDatabase(tmp_path_factory.mktemp("abri") / "instance" / "db", announce=True).start()
    yield database, attempts
    database.kill()


def test_a_client_without_credentials_is_refused(instance):
    database, _ = instance
    assert "requires authentication" in refusal(f"mongodb://{database.address}/")


def test_a_client_with_a_wrong_password_is_refused(instance):
    database, _ = instance
    assert "authentication failed" in refusal(f"mongodb://abri:guess@{database.address}/?authSource=admin")


def test_abri_connects_with_the_credentials_it_made(instance):
    database, _ = instance
    credentials = json.loads((database.instance / "embedded-db.credentials.json").read_text())
    assert credentials["user"] == "abri" and len(credentials["password"]) >= 40
    db = connect((database.instance / "embedded-db.uri").read_text(), "abri")
    try:
        db.case.insert_one({"_id": "c1"})
        assert db.case.find_one({"_id": "c1"}) == {"_id": "c1"}
    finally:
        db.client.close()


def test_nobody_else_could_connect_while_abris_user_was_made(instance):
    _, attempts = instance
    assert len(attempts) == 2  # both were refused (refusal() fails otherwise)


def test_the_instance_folder_and_every_file_in_it_are_the_accounts_only(instance):
    database, _ = instance
    assert mode(database.instance) == 0o700 and mode(database.data_dir) == 0o700
    for name in ("embedded-db.credentials.json", "embedded-db.uri", "secantusd.toml", "secantusdb.log"):
        assert mode(database.instance / name) == 0o600, name
    files = [path for path in database.data_dir.rglob("*") if path.is_file()]
    assert files and {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    assert not list(database.instance.glob(".provision-*"))  # the one-time certificates are gone


def test_an_instance_from_before_credentials_is_upgraded_in_place(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    port = free_port()
    old = subprocess.Popen([sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port),
                            "--storage-path", str(instance / "db"), "--log-level", "ERROR"])
    try:
        client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=20_000)
        client.abri.case.insert_one({"_id": "kept", "data": {"name": "Awa"}})
        client.admin.command("createUser", "intruder", pwd="made while auth was off", roles=["root"])
        client.admin.command("fsync")
        client.close()
    finally:
        old.kill()
        old.wait()
    os.chmod(instance / "db", 0o755)
    for path in (instance / "db").iterdir():
        os.chmod(path, 0o644)

    database = EmbeddedDatabase(instance / "db").start()
    try:
        db = connect(database.uri, "abri")
        assert db.case.find_one({"_id": "kept"})["data"] == {"name": "Awa"}
        db.client.close()
        assert "requires authentication" in refusal(f"mongodb://{database.address}/")
        assert "authentication failed" in refusal(
            f"mongodb://intruder:made%20while%20auth%20was%20off@{database.address}/?authSource=admin")
        assert mode(instance) == 0o700 and mode(instance / "db") == 0o700
        assert {mode(path) for path in (instance / "db").iterdir() if path.is_file()} == {0o600}
    finally:
        database.kill()
