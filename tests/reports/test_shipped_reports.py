"""The shipped reports on the Bénin profile, over cases made through the API, against counts worked out here.

The cases, their services and referrals are drawn from a seeded generator and written as a social worker writes
them (POST /cases, POST /cases/<id>/referrals, the focal point's accept and done); each expected count is then worked
out from what was written, without Abri's engine, and compared with what the national administrator reads (exact
counts: the role may see them) and with what a partner reads (small counts hidden).
"""
from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from datetime import date, timedelta

import pytest

from tests.admin.conftest import benin_app
from tests.builders import make_user
from tests.conftest import authenticated

CONCERNS = ["sexually_exploited", "street_child", "abandoned", "child_marriage"]
SERVICES = ["health_medical_service", "psychosocial_service", "legal_assistance_service"]
COMMUNES = {"BJ-AK-06": "BJ-AK", "BJ-AK-01": "BJ-AK", "BJ-LI-01": "BJ-LI", "BJ-BO-05": "BJ-BO"}
AGENCIES = {"police-cot": "police", "ong-enfance": "ngo", "justice-cot": "justice"}
FOCAL_POINTS = {"fp.police": "police-cot", "fp.ong": "ong-enfance", "fp.justice": "justice-cot"}
BANDS = [0, 6, 12, 18]
CASES = 90


def _band(age: int) -> int:
    return max(i for i, low in enumerate(BANDS) if age >= low)


def _draw(rng: random.Random, owner: str) -> dict:
    registered = date(2025, 1, 1) + timedelta(days=rng.randrange(330))
    data = {"name_first": rng.choice(["Awa", "Koffi", "Sèna"]), "name_last": rng.choice(["Dossou", "Bio"]),
            "sex": rng.choice(["female", "male"]), "age": rng.randrange(18), "registration_date": registered.isoformat(),
            "protection_concerns": rng.sample(CONCERNS, rng.randrange(1, 3)), "risk_level": "low",
            "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given",
            "location_current": rng.choice(list(COMMUNES))}
    if rng.random() < 0.3:
        data["date_closure"] = (registered + timedelta(days=rng.randrange(1, 90))).isoformat()
    rows = []
    for _ in range(rng.randrange(3)):
        row = {"service_type": rng.choice(SERVICES), "service_implemented": "not_implemented"}
        if rng.random() < 0.6:
            row["service_implemented"] = "implemented"
            row["service_implemented_day_time"] = (registered + timedelta(days=rng.randrange(0, 60))).isoformat()
        rows.append(row)
    if rows:
        data["services_section"] = rows
    return {"owner": owner, "data": data, "referral": None}


@pytest.fixture(scope="module")
def world():
    """The Bénin profile with two offices' social workers, a partner, focal points of a police station, an NGO and a
    court, the national administrator, and CASES cases (services, closures, referrals accepted or done)."""
    rng = random.Random(21)
    with benin_app() as app:
        admin = authenticated(app, make_user(app, "admin21", "role-system-administrator"))
        for agency, kind in AGENCIES.items():
            answer = admin.post("/api/v1/agencies", json={"data": {"unique_id": agency, "agency_type": kind}})
            assert answer.status_code == 201, answer.get_json()
        tokens = {"ts1": make_user(app, "ts1", "role-case-worker", agency="gups-exemple-1", groups=["team-a"]),
                  "ts2": make_user(app, "ts2", "role-case-worker", agency="gups-exemple-2"),
                  "partner": make_user(app, "partner", "role-partner-data-manager", agency="gups-exemple-1"),
                  "nat": make_user(app, "nat", "role-national-administrator"),
                  "sup": make_user(app, "sup", "role-supervisor", agency="gups-exemple-1", groups=["team-a"]),
                  **{user: make_user(app, user, "role-focal-point", agency=agency)
                     for user, agency in FOCAL_POINTS.items()}}
        clients = {user: authenticated(app, token) for user, token in tokens.items()}
        cases = []
        for number in range(CASES):
            case = _draw(rng, "ts1" if number % 3 else "ts2")
            answer = clients[case["owner"]].post("/api/v1/cases", json={"data": case["data"]})
            assert answer.status_code == 201, answer.get_json()
            case["id"] = answer.get_json()["data"]["id"]
            if case["owner"] == "ts1" and rng.random() < 0.5:
                focal = rng.choice(list(FOCAL_POINTS))
                sent = clients["ts1"].post(f"/api/v1/cases/{case['id']}/referrals", json={"data": {"to_user": focal}})
                assert sent.status_code in (200, 201), sent.get_json()
                transition = sent.get_json()["meta"]["transition_id"]
                state = rng.choice(["in_progress", "accepted", "done", "rejected"])
                base = f"/api/v1/cases/{case['id']}/referrals/{transition}"
                if state in ("accepted", "done"):
                    assert clients[focal].post(base + "/accept", json={}).status_code == 200
                if state == "done":
                    assert clients[focal].post(base + "/done", json={}).status_code == 200
                if state == "rejected":
                    assert clients[focal].post(base + "/reject", json={"data": {"reason": "Hors mandat"}}
                                               ).status_code == 200
                case["referral"] = (AGENCIES[FOCAL_POINTS[focal]], state)
            cases.append(case)
        yield app, clients, cases


def _result(client, report_id: str, **query) -> dict:
    answer = client.get(f"/api/v1/reports/{report_id}/result", query_string={"locale": "fr", **query})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["data"]


def _table(result: dict) -> dict:
    """{(row key tuple, column key tuple): value} of the cells that hold something."""
    return {(tuple(row["key"]), tuple(column["key"])): result["cells"][i][j]["value"]
            for i, row in enumerate(result["row_keys"]) for j, column in enumerate(result["column_keys"])
            if result["cells"][i][j]["value"]}


def test_protection_concerns_by_sex_and_age_band_match_the_cases(world):
    _, clients, cases = world
    expected = Counter()
    for case in cases:
        for concern in case["data"]["protection_concerns"]:
            expected[((concern, _band(case["data"]["age"])), (case["data"]["sex"],))] += 1
    result = _result(clients["nat"], "report-protection-concerns", exact="true")
    assert _table(result) == dict(expected)
    assert result["total"]["value"] == sum(expected.values())
    assert result["rows"] == [{"label": "Préoccupations de protection"}, {"label": "Âge"}]
    labels = {tuple(row["key"]): row["labels"] for row in result["row_keys"]}
    assert labels[("street_child", 2)] == ["Enfant en situation de rue", "12–17"]
    assert any("compte une fois" in note or "une fois sous" in note for note in result["notes"])


def test_cases_opened_and_closed_by_month_match_the_registration_and_closure_dates(world):
    _, clients, cases = world
    expected = Counter()
    for case in cases:
        expected[((case["data"]["registration_date"][:7],), ("opened",))] += 1
        if "date_closure" in case["data"]:
            expected[((case["data"]["date_closure"][:7],), ("closed",))] += 1
    result = _result(clients["nat"], "report-cases-opened-closed", exact="true")
    assert _table(result) == dict(expected)
    months = [row["key"][0] for row in result["row_keys"]]
    assert months == sorted(months) and len(months) == len(set(months))  # every month, in order, no gap
    assert months[0] == min(key[0][0] for key in expected)
    assert [column["labels"] for column in result["column_keys"]] == [["Ouverts"], ["Fermés"]]


def test_cases_by_department_count_each_commune_in_its_department(world):
    _, clients, cases = world
    expected = Counter()
    for case in cases:
        department = COMMUNES[case["data"]["location_current"]]
        expected[((department,), ("opened",))] += 1
        if "date_closure" in case["data"]:
            expected[((department,), ("closed",))] += 1
    result = _result(clients["nat"], "report-cases-by-department", exact="true")
    assert _table(result) == dict(expected)
    assert result["rows"] == [{"label": "Département"}]
    assert len(result["row_keys"]) == 12  # every department of Bénin, those without a case at 0
    assert result["chart"] == "map" and result["boundaries"] is None  # the shipped hierarchy has no shapes


def test_services_requested_and_implemented_by_type_count_service_rows(world):
    _, clients, cases = world
    expected = Counter((row["service_type"], row["service_implemented"]) for case in cases
                       for row in case["data"].get("services_section", []))
    result = _result(clients["nat"], "report-services-by-type", exact="true")
    assert _table(result) == {((kind,), (state,)): n for (kind, state), n in expected.items()}


def test_referrals_by_receiving_agency_type_and_state(world):
    _, clients, cases = world
    expected = Counter(case["referral"] for case in cases if case["referral"])
    result = _result(clients["nat"], "report-referrals-by-agency-type", exact="true")
    assert _table(result) == {((kind,), (state,)): n for (kind, state), n in expected.items()}
    labels = {row["key"][0]: row["labels"][0] for row in result["row_keys"]}
    assert labels["police"] == "Police" and labels["ngo"] == "ONG"


def test_time_to_accept_a_referral_counts_the_accepted_ones(world):
    _, clients, cases = world
    accepted = Counter(kind for case in cases if case["referral"] and case["referral"][1] in ("accepted", "done")
                       for kind in [case["referral"][0]])
    result = _result(clients["nat"], "report-referral-acceptance-time", exact="true")
    counts = {row["key"][0]: result["cells"][i][0] for i, row in enumerate(result["row_keys"])}
    for kind, n in accepted.items():
        assert counts[kind]["value"] == n
        assert counts[kind]["median"] == 0.0 and counts[kind]["p90"] == 0.0  # accepted the day they were sent
    assert result["measure"] == "duration"


def test_time_from_registration_to_first_service_median_and_90th_percentile(world):
    _, clients, cases = world
    by_quarter: dict[str, list[int]] = {}
    for case in cases:
        done = [date.fromisoformat(row["service_implemented_day_time"]) for row in
                case["data"].get("services_section", []) if row["service_implemented"] == "implemented"]
        if done:
            registered = date.fromisoformat(case["data"]["registration_date"])
            quarter = f"{registered.year}-Q{(registered.month - 1) // 3 + 1}"
            by_quarter.setdefault(quarter, []).append((min(done) - registered).days)
    result = _result(clients["nat"], "report-time-to-first-service", exact="true")
    cells = {row["key"][0]: result["cells"][i][0] for i, row in enumerate(result["row_keys"])}
    for quarter, days in by_quarter.items():
        ordered = sorted(days)
        assert cells[quarter]["value"] == len(days)
        assert cells[quarter]["median"] == statistics.median(days)
        assert cells[quarter]["p90"] == ordered[math.ceil(0.9 * len(ordered)) - 1]
    assert [row["labels"][0] for row in result["row_keys"]][:1] == ["T1 2025"]


def test_a_partner_counts_only_its_agency_and_small_counts_are_hidden(world):
    _, clients, cases = world
    mine = [case for case in cases if case["owner"] == "ts1"]   # ts1 works in the partner's agency
    expected = Counter(((concern,), (case["data"]["sex"],)) for case in mine
                       for concern in case["data"]["protection_concerns"])
    result = _result(clients["partner"], "report-concerns-by-sex")
    assert result["exact"] is False and result["threshold"] == 5
    shown = {key: value for key, value in _table(result).items()}
    for key, value in shown.items():
        assert value == expected[key] and value >= 5
    for i, row in enumerate(result["row_keys"]):
        for j, column in enumerate(result["column_keys"]):
            cell, truth = result["cells"][i][j], expected[(tuple(row["key"]), tuple(column["key"]))]
            if 0 < truth < 5:
                assert cell == {"value": None, "suppressed": True, "reason": "small"}
            elif cell.get("suppressed"):
                assert cell["reason"] == "complement"
    assert result["total"]["value"] == sum(expected.values())
    assert "ts2" not in str(result) and "Dossou" not in str(result)


def test_a_partner_may_not_ask_for_exact_counts_and_the_national_administrators_view_is_audited(world):
    app, clients, _ = world
    refused = clients["partner"].get("/api/v1/reports/report-concerns-by-sex/result?exact=true")
    assert refused.status_code == 403
    _result(clients["nat"], "report-concerns-by-sex", exact="true")
    from server.storage import get_db
    with app.app_context():
        entries = list(get_db()["audit_log"].find({"action": "report_exact", "user_name": "nat"}))
    assert entries and entries[-1]["detail"] == "report-concerns-by-sex"
