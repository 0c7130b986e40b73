"""Pages of records (server/storage/listing.py): every plan gives what a full scan and a sort would, on every backend.

The reference is the slow way: every stored record, the condition checked in memory, sorted in memory. Each
list is read page by page through its cursors (and the first pages by number too) and must give the same
records in the same order, each once; counts must be exact or a true lower bound; and the common lists must
read a bounded number of records, not the collection.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from server.auth.permissions import Principal, record_access_keys
from server.errors import BadRequest
from server.storage import connect, listing, records as store
from server.storage.query import ASC, DESC, AllOf, AnyOf, Filter, Sort, matches
from tests.conftest import BACKENDS, backend_uri

START = datetime(2025, 2, 1, tzinfo=timezone.utc)
NAMES = ("awa", "aicha", "koffi", "kossi", "houngbedji", "hounbedji", "fatoumata", "fatimata", "mohamed", "ngo")


def _record(number: int, rng: random.Random) -> dict:
    owner = f"worker{rng.randrange(6)}"
    record = {"_id": f"r{number:04d}", "short_id": f"{number:07x}", "owned_by": owner,
              "associated_user_names": [owner] + ([f"worker{rng.randrange(6)}"] if rng.random() < 0.2 else []),
              "owned_by_groups": [f"g{rng.randrange(3)}"], "owned_by_agency": f"a{rng.randrange(2)}",
              "created_at": START + timedelta(hours=number), "last_updated_at": START + timedelta(hours=number),
              "revision": 1, "data": {"sex": rng.choice(["female", "male"]), "age": rng.choice([3, 10, 11, 12, 16, None])},
              "_search": [f"name:{rng.choice(NAMES)}", f"name:{rng.choice(NAMES)}"]}
    if record["data"]["age"] is None:
        del record["data"]["age"]
    record[store.ACCESS] = record_access_keys(record)
    return record


@pytest.fixture(scope="module", params=BACKENDS)
def stored(request):
    """300 records (the lists only read them: one database per backend for the module), a third of them written
    again later (their sequence number moves up)."""
    uri = backend_uri(request)
    database = connect(uri, f"abri_listing_{uuid.uuid4().hex[:12]}")
    rng = random.Random(15)
    records = [_record(number, rng) for number in range(300)]
    for record in records[:20]:
        store.insert_record(database, "case", record)
    store.insert_records(database, "case", records[20:])
    store.ensure_record_indexes(database, "case", ["sex", "age"])  # equality filters on them may lead windows
    for number, record in enumerate(rng.sample(records, 100)):
        moment = START + timedelta(days=400, minutes=number)
        changed = store.update_record(database, "case", record["_id"], record["revision"],
                                      {"last_updated_at": moment, "data.sex": "female"}, [], {
                                          "_id": f"{record['_id']}:2", "record_id": record["_id"], "revision": 2})
        record.update(changed)
    yield database
    if not uri.startswith("mongomock://"):
        database.client.drop_database(database.name)
    database.client.close()


def _everything(database) -> list[dict]:
    return list(database.case.find({}))


def _expected(database, where, sort) -> list[str]:
    found = [record for record in _everything(database) if matches(where, record)]
    if [item.field for item in sort if item.field != "_id"] == ["last_updated_at"]:
        found.sort(key=lambda record: record[store.SEQUENCE], reverse=sort[0].direction == DESC)
    else:
        found = listing.sort_records(found, sort)
    return [record["_id"] for record in found]


def _read_by_cursor(database, where, sort, size) -> tuple[list[str], listing.Listing]:
    first = listing.page_records(database, "case", where, sort, 0, size)
    ids, page = [r["_id"] for r in first.items], first
    while page.after is not None:
        page = listing.page_records(database, "case", where, sort, 0, size, page.after)
        ids += [r["_id"] for r in page.items]
        assert len(ids) <= 400, "the cursors go round in circles"
    return ids, first


def _scope(user: str, scope: str, groups=("g1",), agency="a1") -> Filter:
    return Principal(user_name=user, agency=agency, groups=groups, role_id="r", permissions={}, scope=scope,
                     forms=None).record_scope()


def _words(*prefixes: str) -> AnyOf:
    return AnyOf(*(Filter("_search", "prefix", f"name:{prefix}") for prefix in prefixes))


CONDITIONS = {
    "everything": AllOf(),
    "all scope": _scope("admin", "all"),
    "own": _scope("worker1", "self"),
    "group": _scope("worker1", "group", ("g0", "g2")),
    "agency, girls": AllOf(_scope("worker2", "agency"), Filter("data.sex", "eq", "female")),
    "ages 10..12": AllOf(_scope("admin", "all"), Filter("data.age", "gte", 10), Filter("data.age", "lte", 12)),
    "text": AllOf(_scope("admin", "all"), _words("houn")),
    "two words, own": AllOf(_scope("worker3", "self"), _words("fat"), _words("a")),
    "updated since": AllOf(_scope("worker1", "group", ("g1",)),
                           Filter("last_updated_at", "gt", START + timedelta(days=400, minutes=40))),
    "one id": AllOf(_scope("admin", "all"), Filter("_id", "in", ["r0007", "r0150", "nope"])),
    "all, girls": AllOf(_scope("admin", "all"), Filter("data.sex", "eq", "female")),
    "all, an owner": AllOf(_scope("admin", "all"), Filter("owned_by", "eq", "worker4")),
    "all, two owners, age 11": AllOf(_scope("admin", "all"), Filter("owned_by", "in", ["worker0", "worker5"]),
                                     Filter("data.age", "eq", 11)),
    "all, a value nobody holds": AllOf(_scope("admin", "all"), Filter("data.sex", "eq", "unknown")),
    "group, age 3": AllOf(_scope("worker1", "group", ("g0",)), Filter("data.age", "eq", 3)),
    "nothing": AllOf(_scope("nobody", "self")),
}
SORTS = {"recent": [Sort("last_updated_at", DESC), Sort("_id", ASC)],
         "oldest": [Sort("last_updated_at", ASC), Sort("_id", ASC)],
         "age": [Sort("data.age", ASC), Sort("_id", ASC)],
         "-age,created": [Sort("data.age", DESC), Sort("created_at", ASC), Sort("_id", ASC)]}


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("order", SORTS)
def test_pages_by_cursor_give_every_record_once_in_order(stored, condition, order):
    where, sort = CONDITIONS[condition], SORTS[order]
    expected = _expected(stored, where, sort)
    ids, first = _read_by_cursor(stored, where, sort, 7)
    assert ids == expected
    assert first.total == len(expected) if first.exact else min(len(expected), 8) <= first.total <= len(expected)


@pytest.mark.parametrize("condition", ["everything", "agency, girls", "text"])
def test_pages_by_number_are_the_same_pages(stored, condition):
    where, sort = CONDITIONS[condition], SORTS["recent"]
    expected = _expected(stored, where, sort)
    for number in range(4):
        page = listing.page_records(stored, "case", where, sort, number * 9, 9)
        assert [r["_id"] for r in page.items] == expected[number * 9:number * 9 + 9]


def test_a_rare_word_is_found_through_the_search_index(stored, monkeypatch):
    monkeypatch.setattr(listing, "FIRST_WINDOW", 8)
    monkeypatch.setattr(listing, "WINDOW_BUDGET", 0)  # the windows give up unless the first fills the page
    where, sort = AllOf(_scope("admin", "all"), _words("mohamed"), _words("ngo")), SORTS["recent"]  # both: rare
    queries = _spy(monkeypatch)
    ids, first = _read_by_cursor(stored, where, sort, 5)
    assert ids == _expected(stored, where, sort) and first.exact
    assert {"_search": {"$gte": "name:mohamed", "$lt": "name:mohamee"}} in queries or \
        {"_search": {"$gte": "name:ngo", "$lt": "name:ngp"}} in queries


def test_a_rare_word_leaves_the_windows_once_they_have_read_the_budget(stored, monkeypatch):
    """Not after a window eight times wider: at 100,000 records that window alone was 4,000 records."""
    monkeypatch.setattr(listing, "FIRST_WINDOW", 8)
    monkeypatch.setattr(listing, "WINDOW_BUDGET", 40)
    where, sort = AllOf(_scope("admin", "all"), _words("mohamed"), _words("ngo")), SORTS["recent"]
    queries = _spy(monkeypatch)
    page = listing.page_records(stored, "case", where, sort, 0, 5)
    assert [r["_id"] for r in page.items] == _expected(stored, where, sort)[:5]
    windows = [reads for query, reads in zip(queries, queries.reads) if store.SEQUENCE in query]
    assert any("_search" in query for query in queries)
    assert 40 <= sum(windows) < 40 + 16


def test_a_common_word_stays_on_the_windows(stored, monkeypatch):
    monkeypatch.setattr(listing, "WINDOW_BUDGET", 0)
    where, sort = AllOf(_scope("admin", "all"), _words("a")), SORTS["recent"]  # awa, aicha: most records
    queries = _spy(monkeypatch)
    page = listing.page_records(stored, "case", where, sort, 0, 5)
    assert [r["_id"] for r in page.items] == _expected(stored, where, sort)[:5]
    assert not [query for query in queries if "_search" in query]


def test_the_count_of_every_record_is_exact_and_read_from_the_sequence(stored):
    page = listing.page_records(stored, "case", CONDITIONS["all scope"], SORTS["recent"], 0, 10)
    assert (page.total, page.exact) == (300, True)


class _Queries(list):
    """The queries a list sent, and how many records each gave (`reads`)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[int] = []


def _spy(monkeypatch) -> _Queries:
    queries = _Queries()
    found = listing._find

    def find(db, collection, query, fields=None):
        result = found(db, collection, query, fields)
        queries.append(query)
        queries.reads.append(len(result))
        return result
    monkeypatch.setattr(listing, "_find", find)
    return queries


def test_the_first_page_reads_a_few_windows_not_the_collection(database, monkeypatch):
    rng = random.Random(3)
    records = [_record(number, rng) for number in range(3000)]
    store.insert_records(database, "case", [dict(record, _pending_history=None) for record in records])
    queries = _spy(monkeypatch)
    page = listing.page_records(database, "case", CONDITIONS["all scope"], SORTS["recent"], 0, 50)
    assert [r["_id"] for r in page.items] == [f"r{n:04d}" for n in range(2999, 2949, -1)]
    assert (page.total, page.exact) == (3000, True)
    windows = [query for query in queries if set(query) == {store.ACCESS, store.SEQUENCE}]
    assert windows and queries[len(windows):] == [{"_id": {"$in": [r["_id"] for r in page.items]}}]
    assert sum(queries.reads) <= 200  # the records of about one page, and the page read whole
    queries.clear()
    queries.reads.clear()
    following = listing.page_records(database, "case", CONDITIONS["agency, girls"], SORTS["recent"], 0, 50, page.after)
    assert following.items and sum(queries.reads) < 600  # no count after the first page: only what fills it


def _thousands(database, rng: random.Random, count: int = 3000) -> list[dict]:
    records = [_record(number, rng) for number in range(count)]
    for record in records[::97]:  # a value few records hold
        record["data"]["sex"] = "other"
    store.insert_records(database, "case", [dict(record, _pending_history=None) for record in records])
    store.ensure_record_indexes(database, "case", ["sex", "age"])
    return records


def test_a_value_nobody_holds_reads_a_few_empty_windows_of_its_index_not_the_collection(database, monkeypatch):
    _thousands(database, random.Random(4))
    queries = _spy(monkeypatch)
    where = AllOf(_scope("admin", "all"), Filter("data.sex", "eq", "unknown"))
    page = listing.page_records(database, "case", where, SORTS["recent"], 0, 50)
    assert (page.items, page.total, page.exact) == ([], 0, True)
    assert all("data.sex" in query for query in queries) and len(queries) <= 5 and sum(queries.reads) == 0


def test_a_rare_filter_value_leads_the_windows_instead_of_a_wider_scope(database, monkeypatch):
    records = _thousands(database, random.Random(5))
    monkeypatch.setattr(listing, "WINDOW_BUDGET", 100)
    queries = _spy(monkeypatch)
    where = AllOf(_scope("worker1", "group", ("g0", "g1")), Filter("data.sex", "eq", "other"))  # 2/3 of the records
    ids, first = _read_by_cursor(database, where, SORTS["recent"], 10)
    assert ids == _expected(database, where, SORTS["recent"]) and len(ids) >= 10
    assert any("data.sex" in query for query in queries)  # the windows went over to the rare value's index
    assert sum(queries.reads) < len(records) // 3  # not the group's 2,000 records


def test_a_common_filter_value_stays_with_a_narrow_scope(database, monkeypatch):
    _thousands(database, random.Random(6))
    monkeypatch.setattr(listing, "WINDOW_BUDGET", 20)
    queries = _spy(monkeypatch)
    where = AllOf(_scope("worker1", "self"), Filter("data.sex", "eq", "female"))
    page = listing.page_records(database, "case", where, SORTS["recent"], 0, 10)
    assert [r["_id"] for r in page.items] == _expected(database, where, SORTS["recent"])[:10]
    assert not [query for query in queries if "data.sex" in query]


def test_records_from_before_the_layout_get_their_keys_and_numbers_once(database):
    old = [{"_id": f"o{n}", "owned_by": "awa", "owned_by_groups": ["g1"], "last_updated_at": START + timedelta(n)}
           for n in range(5)]
    database.case.insert_many(old)
    store._upgraded.discard((database.name, "case"))
    assert store.upgrade_layout(database, "case", record_access_keys) == 5
    upgraded = {r["_id"]: r for r in database.case.find({})}
    assert [upgraded[f"o{n}"][store.SEQUENCE] for n in range(5)] == [1, 2, 3, 4, 5]
    assert upgraded["o0"][store.ACCESS] == ["*", "user:awa", "group:g1"]
    store._upgraded.discard((database.name, "case"))
    assert store.upgrade_layout(database, "case", record_access_keys) == 0  # the counter remembers
    page = listing.page_records(database, "case", _scope("awa", "self"), SORTS["recent"], 0, 10)
    assert [r["_id"] for r in page.items] == ["o4", "o3", "o2", "o1", "o0"] and page.total == 5


def test_a_condition_that_holds_for_nothing_counts_nothing(stored):
    page = listing.page_records(stored, "case", AllOf(_scope("admin", "all"), AnyOf()), SORTS["recent"], 0, 10)
    assert (page.items, page.total, page.exact) == ([], 0, True)


def test_a_sort_that_would_read_more_than_the_limit_is_refused_before_reading(stored, monkeypatch):
    monkeypatch.setattr(listing, "SORT_LIMIT", 299)
    queries = _spy(monkeypatch)
    with pytest.raises(BadRequest) as refused:
        listing.page_records(stored, "case", CONDITIONS["all scope"], SORTS["age"], 0, 10)
    detail = refused.value.details[0]
    assert (detail.field, detail.code, detail.params["field"]) == ("sort", "too_broad", "age")
    assert queries == []
    own = listing.page_records(stored, "case", CONDITIONS["own"], SORTS["age"], 0, 10)  # a scope: no limit
    assert [r["_id"] for r in own.items] == _expected(stored, CONDITIONS["own"], SORTS["age"])[:10]
