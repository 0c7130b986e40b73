"""`abri serve`'s own client of the embedded database."""
from __future__ import annotations

from pymongo.uri_parser import parse_uri

from server.cli.serve import without_retryable_writes


def test_the_server_does_not_ask_the_embedded_database_to_remember_retryable_writes():
    uri = without_retryable_writes("mongodb://abri:s%40cret@127.0.0.1:41234/?authSource=admin")
    options = parse_uri(uri)["options"]
    assert (options["retryWrites"], options["authSource"], parse_uri(uri)["password"]) == (False, "admin", "s@cret")
    assert parse_uri(without_retryable_writes("mongodb://127.0.0.1:41234/"))["options"]["retryWrites"] is False
