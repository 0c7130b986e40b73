"""People, tokens and the audit log are stored the same on every backend: pages in a total order, counts, deletes."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from server.storage import auth as store
from server.storage.query import AnyOf, Filter, all_of

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


def test_a_page_is_sorted_with_the_id_as_tie_breaker_and_counts_every_match(database):
    for name, agency in (("d", "a1"), ("b", "a2"), ("c", "a1"), ("a", "a1")):
        store.insert(database, "users", {"_id": name, "agency": agency, "role": "worker"})
    users, total = store.page(database, "users", {"agency": "a1"}, 1, 2, sort="role", direction=-1)
    assert (total, [user["_id"] for user in users]) == (3, ["c", "a"])  # one role: _id decides, in the same direction


def test_counts_follow_the_conditions_they_are_given(database):
    for name, role, disabled in (("a", "admin", None), ("b", "admin", True), ("c", "admin", False), ("d", "w", None)):
        flag = {} if disabled is None else {"disabled": disabled}
        store.insert(database, "users", {"_id": name, "role": role, **flag})
    active_admins = all_of(Filter("role", "in", ["admin"]), Filter("disabled", "ne", True))
    assert store.count(database, "users", active_admins) == 2
    assert store.count(database, "users", AnyOf(Filter("role", "eq", "w"), Filter("disabled", "eq", True))) == 2
    assert store.count(database, "users") == 4


def test_tokens_are_deleted_by_condition(database):
    for number, user in enumerate(("awa", "awa", "bio", "chantal")):
        store.insert_token(database, {"_id": f"t{number}", "user_name": user, "expires_at": NOW + timedelta(hours=1)})
    assert store.delete_tokens(database, Filter("user_name", "in", ("awa", "bio"))) == 3
    assert store.delete_tokens(database, {"_id": "t3"}) == 1
    assert store.count(database, "tokens") == 0


def test_concurrent_counters_each_get_their_own_value(database):
    values = [store.increment_counter(database, "ip:1", "awa", NOW + timedelta(minutes=5)) for _ in range(3)]
    assert values == [1, 2, 3]
    store.delete_counters(database, account="awa")
    assert store.increment_counter(database, "ip:1", "awa", NOW + timedelta(minutes=5)) == 1


def test_a_token_is_read_with_its_user_and_the_users_agency(database):
    store.insert(database, "agencies", {"_id": "gups-1", "disabled": True})
    for name, agency in (("awa", "gups-1"), ("bio", None), ("chantal", "gone")):
        store.insert(database, "users", {"_id": name, **({"agency": agency} if agency else {})})
    for user in ("awa", "bio", "chantal", "deleted"):
        store.insert_token(database, {"_id": f"t-{user}", "user_name": user, "expires_at": NOW})
    token, user, agency = store.find_token_holder(database, "t-awa")
    assert (token["user_name"], user["_id"], agency) == ("awa", "awa", {"_id": "gups-1", "disabled": True})
    assert store.find_token_holder(database, "t-bio")[1:] == ({"_id": "bio"}, None)
    assert store.find_token_holder(database, "t-chantal")[1:] == ({"_id": "chantal", "agency": "gone"}, None)
    assert store.find_token_holder(database, "t-deleted")[1:] == (None, None)
    assert store.find_token_holder(database, "t-unknown") is None


def test_audit_entries_written_at_once_are_all_kept(database):
    entries = [{"at": NOW, "user_name": f"u{n}", "action": "read"} for n in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda entry: store.insert_audit(database, entry), entries))
    assert sorted(e["user_name"] for e in store.page(database, "audit_log", None, 0, 0)[0]) == sorted(
        f"u{n}" for n in range(12))
