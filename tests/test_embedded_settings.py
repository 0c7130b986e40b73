"""The embedded database's server settings: Abri's defaults and ABRI_EMBEDDED_CACHE_SIZE reach its command line."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.config import SettingInvalid, load_config
from server.embedded import EmbeddedDatabase, server_arguments
from server.storage import connect


def flag(arguments: list[str], name: str) -> str:
    """The value of the last `name` flag in `arguments` (the one the server keeps)."""
    return arguments[max(i for i, argument in enumerate(arguments) if argument == name) + 1]


def test_the_defaults_bound_the_servers_cache_and_keep_no_oplog():
    arguments = server_arguments(load_config(environ={}))
    assert flag(arguments, "--cache-size") == "512M"
    assert "--standalone" in arguments  # no replica set: SecantusDB writes no oplog


def test_an_operator_chooses_the_cache_size_with_an_abri_variable():
    settings = load_config(environ={"ABRI_EMBEDDED_CACHE_SIZE": "2g"})
    assert flag(server_arguments(settings), "--cache-size") == "2G"


@pytest.mark.parametrize("value", ["", "lots", "0M", "512", "1.5G", "-1G", "512K"])
def test_a_cache_size_that_is_not_megabytes_or_gigabytes_is_refused(value):
    with pytest.raises(SettingInvalid) as refused:
        server_arguments(load_config({"EMBEDDED_CACHE_SIZE": value}, environ={}))
    assert refused.value.params["name"] == "ABRI_EMBEDDED_CACHE_SIZE"


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """An embedded database started as `abri serve` starts it, with one setting from the environment."""
    pytest.importorskip("secantus")
    settings = load_config(environ={"ABRI_EMBEDDED_CACHE_SIZE": "192M"})
    database = EmbeddedDatabase(tmp_path_factory.mktemp("abri") / "instance" / "db", settings=settings).start()
    yield database
    database.kill()


def command_line(database: EmbeddedDatabase) -> list[str]:
    return Path(f"/proc/{database.process.pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def environment(database: EmbeddedDatabase) -> dict[str, str]:
    pairs = Path(f"/proc/{database.process.pid}/environ").read_bytes().decode().split("\0")[:-1]
    return dict(pair.split("=", 1) for pair in pairs)


def test_the_setting_reaches_the_running_servers_command_line(started):
    assert flag(command_line(started), "--cache-size") == "192M"


def test_the_server_runs_with_two_memory_arenas_unless_the_operator_chose(started):
    assert environment(started).get("MALLOC_ARENA_MAX") == os.environ.get("MALLOC_ARENA_MAX", "2")


def test_durability_and_authentication_stay_on_whatever_the_settings(started):
    arguments = command_line(started)
    assert "--sync-on-commit" in arguments and "--auth" in arguments
    assert environment(started)["SECANTUS_FORCE_DURABLE"] == "1"


def test_abri_writes_durably_to_the_server_it_started(started):
    db = connect(started.uri, "abri")
    try:
        assert db.write_concern.document == {"w": 1, "j": True}  # a standalone: w 1, and always the journal
        db.case.insert_one({"_id": "c1"})
        assert db.case.find_one({"_id": "c1"}) == {"_id": "c1"}
    finally:
        db.client.close()
