"""The query model means the same on every backend, and the same as its in-memory predicate.

Each condition is run by the backend (through server/storage) and checked in memory (`matches`) over
the same documents: both must pick the same ones. The documents hold what records hold: missing
fields, nulls, lists of choices, subform rows, dates, numbers of both kinds.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from server.storage import records as store
from server.storage.mongo_query import to_mongo
from server.storage.query import (ASC, DESC, EVERYTHING, NOTHING, AllOf, AnyOf, Filter, Page, Sort, all_of, matches,
                                  parse_page)
from server.errors import BadRequest

DAY = datetime(2026, 3, 1, tzinfo=timezone.utc)
DOCUMENTS = [
    {"_id": "a", "status": "open", "age": 4, "tags": ["x", "y"], "at": DAY, "owner": "awa",
     "data": {"sex": "female", "rows": [{"name": "Koffi"}, {"name": "Ama"}]}, "_search": ["name:awa", "name:ko"]},
    {"_id": "b", "status": "closed", "age": 9.5, "tags": [], "at": DAY.replace(day=3), "owner": None,
     "data": {"sex": "male", "rows": []}, "_search": ["name:bio"]},
    {"_id": "c", "status": "open", "age": 12, "tags": ["y"], "owner": "bio", "data": {}, "_search": []},
    {"_id": "d", "status": "Open", "tags": "x", "at": DAY.replace(day=2), "data": {"sex": "female"},
     "_search": ["name:awalé"]},
    {"_id": "e", "age": 0, "disabled": True, "data": {"rows": [{"name": "Ama"}]}},
]
CONDITIONS = {
    "eq": Filter("status", "eq", "open"),
    "eq is case-sensitive": Filter("status", "eq", "Open"),
    "eq on a list holds an element": Filter("tags", "eq", "x"),
    "eq null holds missing and null": Filter("owner", "eq", None),
    "eq through subform rows": Filter("data.rows.name", "eq", "Ama"),
    "ne holds missing": Filter("status", "ne", "open"),
    "ne true": Filter("disabled", "ne", True),
    "ne on a list holds no element": Filter("tags", "ne", "y"),
    "in": Filter("owner", "in", ["awa", "bio"]),
    "in on lists": Filter("tags", "in", ["x"]),
    "in nothing": Filter("status", "in", []),
    "nin holds missing": Filter("owner", "nin", ["awa"]),
    "gt numbers of both kinds": Filter("age", "gt", 4),
    "gte": Filter("age", "gte", 4),
    "lt": Filter("age", "lt", 9.5),
    "lte zero": Filter("age", "lte", 0),
    "gt a text skips numbers": Filter("age", "gt", ""),
    "date range": AllOf(Filter("at", "gte", DAY), Filter("at", "lte", DAY.replace(day=2))),
    "prefix": Filter("_search", "prefix", "name:awa"),
    "prefix is literal": Filter("_search", "prefix", "name:a.a"),
    "a word's prefixes, one per field": AnyOf(Filter("_search", "prefix", "name:aw"),
                                              Filter("_search", "prefix", "name:bi")),
    "prefixes through subform rows": AnyOf(Filter("data.rows.name", "prefix", "Ko"),
                                           Filter("data.rows.name", "prefix", "Z")),
    "prefixes of a list or a text": AnyOf(Filter("tags", "prefix", "x"), Filter("tags", "prefix", "q")),
    "exists": Filter("at", "exists", True),
    "exists not": Filter("age", "exists", False),
    "any of": AnyOf(Filter("owner", "eq", "bio"), Filter("tags", "eq", "x")),
    "all of one field twice": AllOf(Filter("status", "eq", "open"), Filter("status", "ne", "closed")),
    "any inside all": AllOf(Filter("status", "eq", "open"), AnyOf(Filter("age", "lt", 5), Filter("tags", "eq", "y"))),
    "two any of": AllOf(AnyOf(Filter("age", "gte", 9)), AnyOf(Filter("tags", "eq", "y"), Filter("owner", "eq", "awa"))),
    "everything": EVERYTHING,
    "nothing": NOTHING,
    "all of nothing": all_of(Filter("status", "eq", "open"), NOTHING),
    "a mapping means equalities": {"status": "open", "data.sex": "female"},
}


@pytest.fixture
def collection(database):
    database.things.insert_many([dict(document) for document in DOCUMENTS])
    return database


@pytest.mark.parametrize("name", CONDITIONS)
def test_the_backend_and_the_predicate_pick_the_same_documents(collection, name):
    condition = CONDITIONS[name]
    found, total = store.list_records(collection, "things", condition, [Sort("_id")])
    in_memory = [document["_id"] for document in DOCUMENTS
                 if matches(condition if not isinstance(condition, dict) else all_of(
                     *(Filter(key, "eq", value) for key, value in condition.items())), document)]
    assert [document["_id"] for document in found] == in_memory
    assert total == len(in_memory)


def test_a_filter_refuses_operators_as_fields_unknown_operators_and_null_bounds():
    with pytest.raises(ValueError):
        Filter("$where", "eq", 1)
    with pytest.raises(ValueError):
        Filter("age", "regex", ".*")
    with pytest.raises(ValueError):
        Filter("age", "gte", None)


def test_a_value_that_is_a_document_never_reaches_the_database(collection):
    with pytest.raises(TypeError):
        store.list_records(collection, "things", Filter("status", "eq", {"$ne": None}), [Sort("_id")])
    with pytest.raises(TypeError):
        store.list_records(collection, "things", {"status": {"$ne": None}}, [Sort("_id")])
    with pytest.raises(ValueError):
        store.list_records(collection, "things", {"$where": "1"}, [Sort("_id")])


def test_sorts_apply_in_order_and_pages_slice_the_sorted_list(collection):
    order = [Sort("status", DESC), Sort("_id", ASC)]
    everything = [d["_id"] for d in store.list_records(collection, "things", EVERYTHING, order)[0]]
    assert everything == ["a", "c", "b", "d", "e"]  # texts by code point ("open" > "closed" > "Open"); missing last
    pages = [store.list_records(collection, "things", EVERYTHING, order, Page(number, 2))
             for number in (1, 2, 3, 4)]
    assert [[d["_id"] for d in page] for page, _ in pages] == [["a", "c"], ["b", "d"], ["e"], []]
    assert {total for _, total in pages} == {5}


def test_only_the_fields_asked_for_are_read(collection):
    found, _ = store.list_records(collection, "things", Filter("_id", "eq", "a"), [Sort("_id")],
                                  fields=["status", "data.sex"])
    assert found == [{"_id": "a", "status": "open", "data": {"sex": "female"}}]


@pytest.mark.parametrize("page,per_page,expected", [
    (None, None, Page(1, 50)), ("3", "20", Page(3, 20)), (2, None, Page(2, 50)), ("1", "5000", Page(1, 100)),
    ("2147483647", "1", Page(2147483647, 1)),
])
def test_a_page_is_parsed_once_for_every_list(page, per_page, expected):
    assert parse_page(page, per_page, cap=100) == expected
    assert expected.skip == (expected.number - 1) * expected.size


PAGE_LIMIT, PER_PAGE_LIMIT = "2,147,483,647", "9,223,372,036,854,775,807"


@pytest.mark.parametrize("page,per_page,name,limit", [
    ("0", None, "page", PAGE_LIMIT), ("2147483648", None, "page", PAGE_LIMIT), ("²", None, "page", PAGE_LIMIT),
    ("", None, "page", PAGE_LIMIT), (None, "-1", "per_page", PER_PAGE_LIMIT), (2**63, None, "page", PAGE_LIMIT),
    (None, 0, "per_page", PER_PAGE_LIMIT),
])
def test_a_page_out_of_bounds_is_a_bad_parameter_in_the_words_of_the_range_rule(page, per_page, name, limit):
    with pytest.raises(BadRequest) as refused:
        parse_page(page, per_page, cap=100)
    assert refused.value.code == "BAD_PARAMETER"
    assert refused.value.rendered("en") == f"The query parameter {name} is not valid."
    assert [detail.as_json("en") for detail in refused.value.details] == [
        {"field": name, "code": "range", "message": f"Must be between 1 and {limit}."}]


def test_a_list_query_keeps_the_flat_shape_an_index_serves():
    scope = AnyOf(Filter("owned_by", "eq", "awa"), Filter("associated_user_names", "eq", "awa"))
    text = [AnyOf(Filter("_search", "prefix", f"name:{word}"), Filter("_search", "prefix", f"nick:{word}"))
            for word in ("a.", "b")]
    condition = all_of(scope, Filter("status", "eq", "open"), Filter("data.age", "gte", 5),
                       Filter("data.age", "lte", 9), *text)
    assert to_mongo(condition) == {
        "$or": [{"owned_by": "awa"}, {"associated_user_names": "awa"}],
        "status": "open",
        "data.age": {"$gte": 5, "$lte": 9},
        "$and": [{"$or": [{"_search": {"$gte": "name:a.", "$lt": "name:a/"}},
                          {"_search": {"$gte": "nick:a.", "$lt": "nick:a/"}}]},
                 {"$or": [{"_search": {"$gte": "name:b", "$lt": "name:c"}},
                          {"_search": {"$gte": "nick:b", "$lt": "nick:c"}}]}],
    }
    assert to_mongo(EVERYTHING) == {} and to_mongo(Filter("status", "eq", "open")) == {"status": "open"}


# Neither null nor a path through rows: the domain asks for neither, and there mongomock departs from a real server
# (with rows: [], it finds no record for {"data.rows.name": null} or {"data.rows.name": {"$exists": false}}).
VALUES = st.sampled_from([True, 0, 4, 9.5, 12, "", "open", "Open", "x", "y", "awa", "name:a", DAY, DAY.replace(day=2)])
FIELDS = st.sampled_from(["status", "age", "tags", "owner", "at", "disabled", "data.sex", "_search"])
FILTERS = st.one_of(
    st.builds(Filter, FIELDS, st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]), VALUES),
    st.builds(Filter, FIELDS, st.sampled_from(["in", "nin"]), st.lists(VALUES, max_size=3)),
    st.builds(Filter, FIELDS, st.just("prefix"), st.sampled_from(["", "o", "name:a", "x"])),
    st.builds(Filter, FIELDS, st.just("exists"), st.booleans()))
CONDITION_TREES = st.recursive(FILTERS, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(lambda parts: AllOf(*parts)),
    st.lists(inner, max_size=3).map(lambda parts: AnyOf(*parts))), max_leaves=6)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(condition=CONDITION_TREES)
def test_any_condition_picks_the_same_documents_in_the_database_and_in_memory(collection, condition):
    found, _ = store.list_records(collection, "things", condition, [Sort("_id")])
    assert [document["_id"] for document in found] == [d["_id"] for d in DOCUMENTS if matches(condition, d)]
