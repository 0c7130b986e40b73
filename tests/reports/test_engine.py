"""The counting engine and the table a reader gets, on the Bénin configuration, with records written out here."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

import pytest

from server.metadata.configuration import Configuration
from server.metadata.files import read_configuration
from server.metadata.report_definition import read_report
from server.reports.engine import Lookups, count
from server.reports.result import Labelling, notes, shape


@lru_cache(maxsize=1)
def benin() -> Configuration:
    return Configuration.from_documents(read_configuration("metadata", "bj"))


def lookups(config: Configuration, agency_types=None) -> Lookups:
    places = config.locations.places
    report = read_report(config, {"record_type": "case", "counts": {"unit": "records"}, "rows": [{"fact": "status"}]})
    return Lookups(agency_types=agency_types or {}, services=report.services,
                   parents={code: place.get("parent_code") for code, place in places.items()},
                   levels={code: place.get("admin_level") for code, place in places.items()})


def run(body: dict, records: list[dict], exact: bool = True, threshold: int = 5, agency_types=None) -> dict:
    config = benin()
    report = read_report(config, {"record_type": "case", **body})
    assert report.problems == []
    table = count(report, records, lookups(config, agency_types))
    labelling = Labelling(config, "fr", "fr")
    shaped = shape(report, table, labelling, threshold, exact)
    return {**shaped.body, "notes": notes(table, labelling, threshold, shaped.suppressed, exact)}


def case(**data) -> dict:
    return {"status": data.pop("status", "open"), "record_state": data.pop("record_state", True), "data": data}


def cells(result: dict) -> dict:
    return {(tuple(r["key"]), tuple(c["key"])): result["cells"][i][j]["value"]
            for i, r in enumerate(result["row_keys"]) for j, c in enumerate(result["column_keys"])}


def test_a_tick_box_counts_yes_and_no_and_a_box_never_ticked_is_no():
    records = [case(urgent_protection_concern=True), case(urgent_protection_concern=False), case()]
    result = run({"counts": {"unit": "records"}, "rows": [{"field": "urgent_protection_concern"}]}, records)
    assert [row["labels"][0] for row in result["row_keys"]] == ["Oui", "Non"]
    assert [row[0]["value"] for row in result["cells"]] == [1, 2]


def test_a_missing_option_is_counted_as_not_recorded():
    result = run({"counts": {"unit": "records"}, "rows": [{"field": "sex"}]}, [case(sex="female"), case()])
    assert result["row_keys"][-1] == {"key": [None], "labels": ["Non renseigné"]}
    assert result["cells"][-1][0]["value"] == 1


def test_ages_fall_in_their_bands_and_the_last_band_is_open():
    records = [case(age=age) for age in (0, 5, 6, 11, 12, 17, 18, 40)]
    result = run({"counts": {"unit": "records"}, "rows": [{"field": "age", "bands": [0, 6, 12, 18]}]}, records)
    assert [row["labels"][0] for row in result["row_keys"]] == ["0–5", "6–11", "12–17", "18 et plus"]
    assert [row[0]["value"] for row in result["cells"]] == [2, 2, 2, 2]


def test_a_commune_is_counted_in_its_department_and_a_department_alone_is_not_placed_in_a_commune():
    records = [case(location_current="BJ-AK-06"), case(location_current="BJ-AK"), case(location_current="BJ-LI-01")]
    by_department = run({"counts": {"unit": "records"}, "rows": [{"field": "location_current", "admin_level": 1}]},
                        records)
    found = cells(by_department)
    assert found[(("BJ-AK",), ())] == 2 and found[(("BJ-LI",), ())] == 1
    by_commune = run({"counts": {"unit": "records"}, "rows": [{"field": "location_current", "admin_level": 2}]},
                     records)
    found = cells(by_commune)
    assert found[(("BJ-AK-06",), ())] == 1 and found[((None,), ())] == 1   # "BJ-AK" names no commune


def test_months_run_without_holes_from_the_first_to_the_last():
    records = [case(registration_date="2025-01-15"), case(registration_date="2025-04-02T10:00:00+01:00")]
    result = run({"counts": {"unit": "records"}, "rows": [{"field": "registration_date", "period": "month"}]}, records)
    assert [row["key"][0] for row in result["row_keys"]] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert [row["labels"][0] for row in result["row_keys"]][:2] == ["janv. 2025", "févr. 2025"]
    assert [row[0]["value"] for row in result["cells"]] == [1, 0, 0, 1]


def test_filters_keep_girls_under_twelve_registered_in_a_quarter():
    records = [case(sex="female", age=8, registration_date="2025-07-03"),
               case(sex="female", age=12, registration_date="2025-07-03"),
               case(sex="male", age=8, registration_date="2025-07-03"),
               case(sex="female", age=8, registration_date="2025-10-01"),
               case(sex="female", registration_date="2025-07-03")]   # no age: not "under twelve"
    body = {"counts": {"unit": "records"}, "rows": [{"field": "sex"}],
            "filters": [{"field": "sex", "in": ["female"]}, {"field": "age", "lt": 12},
                        {"field": "registration_date", "ge": "2025-07-01"}, {"field": "registration_date",
                                                                             "le": "2025-09-30"}]}
    assert cells(run(body, records)) == {(("female",), ()): 1, (("male",), ()): 0}


def test_a_case_with_two_concerns_counts_under_each_and_the_note_says_so():
    records = [case(protection_concerns=["street_child", "abandoned"]), case(protection_concerns=["abandoned"])]
    result = run({"counts": {"unit": "records"}, "rows": [{"field": "protection_concerns"}]}, records)
    found = cells(result)
    assert found[(("abandoned",), ())] == 2 and found[(("street_child",), ())] == 1
    assert result["total"]["value"] == 3
    assert any("compte une fois sous chacune" in note for note in result["notes"])


def test_a_disabled_record_is_not_counted():
    records = [case(sex="female"), case(sex="female", record_state=False)]
    assert cells(run({"counts": {"unit": "records"}, "rows": [{"field": "sex"}]}, records))[(("female",), ())] == 1


def test_durations_leave_out_an_end_before_the_start_and_say_how_many():
    records = [{"status": "open", "data": {"registration_date": "2025-01-10", "services_section": [
                   {"service_implemented": "implemented", "service_implemented_day_time": day}]}}
               for day in ("2025-01-12", "2025-01-20", "2025-01-01")]
    body = {"counts": {"unit": "records"}, "rows": [{"field": "registration_date", "period": "year"}],
            "measure": {"kind": "duration", "from": {"field": "registration_date"}, "to": {"fact": "first_service_on"}}}
    result = run(body, records)
    assert result["cells"][0][0] == {"value": 2, "median": 6.0, "p90": 10.0}
    assert any("2 unités" in note or "1 unités" in note for note in result["notes"])


def test_referrals_count_by_the_receiving_agency_type():
    sent = datetime(2025, 3, 1, tzinfo=timezone.utc)
    records = [{"status": "open", "data": {}, "transitions": [
        {"type": "referral", "status": "accepted", "to_agency": "police-1", "created_at": sent, "accepted_at": sent},
        {"type": "transfer", "status": "accepted", "to_agency": "police-1", "created_at": sent},
        {"type": "referral", "status": "in_progress", "to_agency": "ong-1", "created_at": sent}]}]
    result = run({"counts": {"unit": "referrals"}, "rows": [{"fact": "agency_type"}],
                  "columns": [{"fact": "referral_status"}]}, records,
                 agency_types={"police-1": "police", "ong-1": "ngo"})
    found = cells(result)
    assert found[(("police",), ("accepted",))] == 1 and found[(("ngo",), ("in_progress",))] == 1
    assert result["total"]["value"] == 2  # a transfer is not a referral


def test_small_counts_show_as_hidden_with_their_complements_and_never_as_zero():
    records = [case(sex="female", age=3)] * 3 + [case(sex="male", age=3)] * 9 + [case(sex="female", age=8)] * 7 + \
              [case(sex="male", age=8)] * 6
    result = run({"counts": {"unit": "records"}, "rows": [{"field": "age", "bands": [0, 6, 12]}],
                  "columns": [{"field": "sex"}]}, records, exact=False)
    first = result["cells"][0]
    assert first[0] == {"value": None, "suppressed": True, "reason": "small"}
    assert first[1]["suppressed"] is True and first[1]["reason"] == "complement"
    assert result["total"] == {"value": 25}
    assert any("< 5" in note for note in result["notes"])


@pytest.mark.parametrize("body, code", [
    ({"counts": {"unit": "records"}, "rows": [{"field": "risk_level_reason"}]}, "REPORT_FIELD_TYPE"),
    ({"counts": {"unit": "records"}, "rows": [{"field": "nope"}]}, "REPORT_FIELD_UNKNOWN"),
    ({"counts": {"unit": "records"}, "rows": [{"field": "age"}]}, "REPORT_BANDS_MISSING"),
    ({"counts": {"unit": "records"}, "rows": [{"field": "registration_date"}]}, "REPORT_PERIOD_MISSING"),
    ({"counts": {"unit": "records"}, "rows": [{"field": "location_current", "admin_level": 5}]},
     "REPORT_LEVEL_UNKNOWN"),
    ({"counts": {"unit": "records"}, "rows": [{"fact": "agency_type"}]}, "REPORT_FACT_UNIT"),
    ({"counts": {"unit": "rows", "subform": "sex"}, "rows": [{"field": "sex"}]}, "REPORT_SUBFORM_UNKNOWN"),
    ({"counts": {"unit": "records"}, "rows": [{"field": "sex"}], "filters": [{"field": "sex", "lt": 3}]},
     "REPORT_FILTER_ORDER"),
    ({"counts": {"unit": "records"}, "rows": [{"field": "sex"}], "chart": "map"}, "REPORT_MAP_NEEDS_PLACES"),
    ({"counts": {"unit": "records"}, "rows": [{"field": "sex"}], "on_dashboards": ["role-nobody"]},
     "REPORT_ROLE_UNKNOWN"),
])
def test_a_report_that_breaks_a_rule_is_refused_with_its_code(body, code):
    report = read_report(benin(), {"record_type": "case", **body})
    assert code in [problem.code for problem in report.problems]


def test_a_report_may_not_group_by_a_field_that_identifies_a_child():
    config = benin()
    identifying = [field["name"] for _, form in config.forms_of("case", nested=False) for field in form["fields"]
                   if field.get("identifying") and field["type"] in ("select_box", "date_field", "location")]
    if not identifying:
        pytest.skip("no identifying option, date or place field in the shipped forms")
    report = read_report(config, {"record_type": "case", "counts": {"unit": "records"},
                                  "rows": [{"field": identifying[0], "period": "year"}]})
    assert "REPORT_FIELD_IDENTIFYING" in [problem.code for problem in report.problems]

