"""The record scope rule is written once: the query that lists records and the check of a record already read agree.

Every principal (each scope, with and without groups or an agency) is asked both ways over the same
records, on every backend: the records the database returns for `record_scope()` are exactly those
`in_scope` accepts.
"""
from __future__ import annotations

import itertools

import pytest

from server.auth.permissions import SCOPES, Principal, record_access_keys
from server.storage import listing
from server.storage.query import Sort

USERS = ("awa", "bio", "")
RECORDS = [
    {"_id": f"r{number}", "owned_by": owner, "associated_user_names": associated, "owned_by_groups": groups,
     "owned_by_agency": agency}
    for number, (owner, associated, groups, agency) in enumerate(itertools.product(
        ("awa", "bio", None), (["awa"], ["bio", "chantal"], [], None), (["g1"], ["g1", "g2"], [], None),
        ("unicef", "", None)))
] + [{"_id": "bare"}, {"_id": "a-text-not-a-list", "associated_user_names": "awa-bio"}]
PRINCIPALS = [Principal(user_name=user, agency=agency, groups=groups, role_id="r", permissions={}, scope=scope,
                        forms=None)
              for user in ("awa", "chantal") for scope in SCOPES for agency in ("unicef", "", None)
              for groups in ((), ("g1",), ("g2", "g3"))]


@pytest.fixture
def records(database):
    database.case.insert_many([dict(record, _access=record_access_keys(record), _seq=number)
                               for number, record in enumerate(RECORDS, start=1)])
    database.record_sequences.insert_one({"_id": "case", "value": len(RECORDS), "records": len(RECORDS)})
    return database


def test_the_scope_query_and_the_scope_check_agree(records):
    disagreements = []
    for principal in PRINCIPALS:
        listed = {record["_id"] for record in listing.page_records(records, "case", principal.record_scope(),
                                                                     [Sort("_id")], 0, len(RECORDS)).items}
        recent = listing.page_records(records, "case", principal.record_scope(), [Sort("last_updated_at", -1)], 0,
                                      len(RECORDS))
        assert {record["_id"] for record in recent.items} == listed and recent.exact
        checked = {record["_id"] for record in RECORDS if principal.in_scope(record)}
        if listed != checked:
            disagreements.append((principal.user_name, principal.scope, principal.agency, principal.groups,
                                  sorted(listed ^ checked)))
    assert disagreements == []


def test_each_scope_holds_what_its_name_says():
    def sees(scope: str, **record) -> bool:
        principal = Principal("awa", "unicef", ("g1",), "r", {}, scope, None)
        return principal.in_scope({"_id": "x", **record})

    assert sees("self", owned_by="awa") and sees("self", associated_user_names=["bio", "awa"])
    assert not sees("self", owned_by="bio", owned_by_groups=["g1"], owned_by_agency="unicef")
    assert sees("group", owned_by="bio", owned_by_groups=["g2", "g1"]) and not sees("group", owned_by_agency="unicef")
    assert sees("agency", owned_by="bio", owned_by_agency="unicef") and not sees("agency", owned_by_groups=["g1"])
    assert sees("all", owned_by="bio")
