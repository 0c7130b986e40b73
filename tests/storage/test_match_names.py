"""The names listed under the wide matching keys (server/storage/matching.py NAMES), on mongomock and on a real wire
server: they follow a record's keys, and a computation for an earlier revision never undoes a later one's."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from server.storage import get_db
from server.storage import matching as store
from tests.conftest import app_on

CHILD = "0f8fad5b-d9cb-469f-a165-70867728950e"
COUSIN = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture
def db(backend_app):
    with backend_app.app_context():
        yield get_db()


def test_a_record_is_listed_under_its_keys_and_no_longer_under_those_it_lost(db):
    store.name_record(db, "case", CHILD, 1, ["y:ABJ:2015:female", "y:FTMT:2015:female"], ["fatoumata houngbedji"], [])
    store.name_record(db, "case", COUSIN, 1, ["y:ABJ:2015:female"], ["gloria houngbedji"], [])
    assert store.names_under(db, "case", ["y:ABJ:2015:female"]) == {CHILD: ["fatoumata houngbedji"],
                                                                   COUSIN: ["gloria houngbedji"]}
    store.name_record(db, "case", CHILD, 2, ["y:AJV:2015:female", "y:FTMT:2015:female"], ["fatoumata adjovi"],
                      ["y:ABJ:2015:female", "y:FTMT:2015:female"])
    assert store.names_under(db, "case", ["y:ABJ:2015:female"]) == {COUSIN: ["gloria houngbedji"]}
    assert store.names_under(db, "case", ["y:FTMT:2015:female", "y:AJV:2015:female"]) == {
        CHILD: ["fatoumata adjovi"]}
    assert store.names_under(db, "tracing_request", ["y:FTMT:2015:female"]) == {}  # per collection


def test_a_computation_for_an_earlier_revision_neither_replaces_nor_removes_a_later_listing(db):
    store.name_record(db, "case", CHILD, 3, ["y:ABJ:2015:female"], ["fatoumata houngbedji"], [])
    # revision 2's computation, slower than revision 3's: its names were others, and it had lost that key
    store.name_record(db, "case", CHILD, 2, ["y:ABJ:2015:female"], ["fatoumta houngbedji"], [])
    store.name_record(db, "case", CHILD, 2, [], [], ["y:ABJ:2015:female"])
    assert store.names_under(db, "case", ["y:ABJ:2015:female"]) == {CHILD: ["fatoumata houngbedji"]}
    store.name_record(db, "case", CHILD, 4, [], [], ["y:ABJ:2015:female"])
    assert store.names_under(db, "case", ["y:ABJ:2015:female"]) == {}


def test_a_bulk_listing_adds_to_the_keys_that_already_list_records(db):
    store.name_record(db, "case", COUSIN, 1, ["y:ABJ:2015:female"], ["gloria houngbedji"], [])
    store.name_records(db, "case", [(CHILD, 1, ["y:ABJ:2015:female", "y:FTMT:2015:female"], ["fatoumata houngbedji"])])
    assert store.names_under(db, "case", ["y:ABJ:2015:female"]) == {CHILD: ["fatoumata houngbedji"],
                                                                   COUSIN: ["gloria houngbedji"]}
    assert store.names_under(db, "case", ["y:FTMT:2015:female"]) == {CHILD: ["fatoumata houngbedji"]}


def test_records_listed_at_once_under_a_new_key_are_all_listed(secantus_uri):
    ids = [str(uuid.uuid4()) for _ in range(16)]
    with app_on(secantus_uri) as app, app.app_context():
        db = get_db()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda record_id: store.name_record(db, "case", record_id, 1, ["y:ZNB:2016:female"],
                                                              [f"zenabou {record_id[:4]}"], []), ids))
        assert sorted(store.names_under(db, "case", ["y:ZNB:2016:female"])) == sorted(ids)
