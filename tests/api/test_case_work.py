"""Case work through the API on the shipped configuration, on mongomock and on SecantusDB: stages, referrals and
transfers with consent, approvals, closing and reopening, flags, and who may receive a case."""
from __future__ import annotations

import uuid

import pytest

from server.config import PROJECT_ROOT
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings
from server.storage import get_db
from tests.builders import make_user
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri

GIVEN = {"consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}
CHILD = {"registration_date": "2026-11-02", "name_first": "Afi", "name_last": "Houngbédji", "sex": "female",
         "age": 11, "risk_level": "medium", **GIVEN}
UNABLE = {"consent_for_services": "unable_to_consent", "consent_for_data_sharing": "unable_to_consent"}
CONCERN = {"protection_concerns": ["gbv_survivor"]}


@pytest.fixture(params=BACKENDS)
def office(request):
    """The shipped configuration and the people of one case: two GUPS social workers, their supervisor, a police
    focal point of another agency and a partner data manager."""
    with app_on(backend_uri(request)) as app:
        with app.app_context():
            bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("en", "fr"), "en"))
        people = {name: authenticated(app, make_user(app, name, role, agency, groups))
                  for name, role, agency, groups in (
                      ("awa", "role-case-worker", "gups-natitingou", ["natitingou"]),
                      ("kofi", "role-case-worker", "gups-natitingou", ["natitingou"]),
                      ("sika", "role-supervisor", "gups-natitingou", ["natitingou"]),
                      ("police", "role-focal-point", "brigade-mineurs", []),
                      ("partner", "role-partner-data-manager", "ong-enfance", []))}
        yield people


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def new_case(client, **data):
    return ok(client.post("/api/v1/cases", json={"data": {**CHILD, **data}}), 201)["data"]


def refer(client, case_id, to_user="police", **data):
    return client.post(f"/api/v1/cases/{case_id}/referrals", json={"data": {"to_user": to_user, **data}})


def test_a_case_moves_through_the_configured_stages_and_the_list_filters_on_them(office):
    awa = office["awa"]
    case = new_case(awa)
    assert case["stage"] == "new"
    step = lambda **data: ok(awa.patch(f"/api/v1/cases/{case['id']}", json={"data": data}))["data"]["stage"]
    assert step(assessment_requested_on="2026-11-03") == "assessment"
    assert step(date_case_plan="2026-11-10") == "case_plan"
    row = {"unique_id": str(uuid.uuid4()), "service_type": "health_medical_service", "service_appointment_date": "2026-11-20"}
    assert step(services_section=[row]) == "service_provision"
    assert step(services_section=[{**row, "service_implemented": "implemented"}]) == "services_implemented"
    other = new_case(awa)
    listed = ok(awa.get("/api/v1/cases", query_string={"stage": "services_implemented"}))["data"]
    assert [item["id"] for item in listed] == [case["id"]]
    assert ok(awa.get("/api/v1/cases", query_string={"stage": "new"}))["data"][0]["id"] == other["id"]


def test_a_referral_needs_consent_and_gives_the_recipient_only_what_their_role_reads(office):
    awa, police = office["awa"], office["police"]
    case = new_case(awa, **CONCERN, **UNABLE, address_current="Quartier Yarakou", child_views="Veut rester")
    refused = refer(awa, case["id"], notes="Suspicion d'abus")
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "CONSENT_MISSING"
    assert {d["field"] for d in error["details"]} == {"/consent_for_services", "/consent_for_data_sharing"}
    assert police.get(f"/api/v1/cases/{case['id']}").status_code == 404
    ok(awa.patch(f"/api/v1/cases/{case['id']}", json={"data": GIVEN}))
    answer = ok(refer(awa, case["id"], notes="Suspicion d'abus"))
    transition = answer["data"]["transitions"][-1]
    assert answer["meta"]["transition_id"] == transition["id"]
    assert (transition["type"], transition["status"], transition["to_user"], transition["to_agency"],
            transition["consent_overridden"]) == ("referral", "in_progress", "police", "brigade-mineurs", False)
    seen = ok(police.get(f"/api/v1/cases/{case['id']}"))["data"]
    assert set(seen["data"]) == {"registration_date", "name_first", "name_last", "sex", "age", "risk_level",
                                 "protection_concerns", "address_current"}  # identity and concerns only
    assert "Veut rester" not in str(seen) and "consent" not in str(seen["data"])
    assert [t["id"] for t in seen["transitions"]] == [transition["id"]]
    assert police.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 12}}).status_code == 403
    assert [item["id"] for item in ok(police.get("/api/v1/cases"))["data"]] == [case["id"]]
    accept = f"/api/v1/cases/{case['id']}/referrals/{transition['id']}"
    assert ok(police.post(accept + "/accept", json={}))["data"]["transitions"][-1]["status"] == "accepted"
    assert ok(police.post(accept + "/done", json={"data": {"note": "Plainte enregistrée"}}))
    assert police.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert ok(police.get("/api/v1/cases"))["data"] == []
    history = ok(awa.get(f"/api/v1/cases/{case['id']}/history"))["data"]
    assert [entry["action"] for entry in history][:3] == ["referral_done", "referral_accept", "refer"]
    assert history[0]["user_name"] == "police"


def test_a_refused_consent_is_overridden_only_with_the_permission_and_a_reason_both_recorded(office):
    awa, sika = office["awa"], office["sika"]
    case = new_case(awa, consent_for_services="consent_given", consent_for_data_sharing="consent_refused",
                    disclosure_restrictions="Pas la famille élargie")
    plain = refer(awa, case["id"], consent_override_reason="Danger immédiat")
    assert plain.status_code == 403 and plain.get_json()["error"]["code"] == "PERMISSION_DENIED"
    answer = ok(refer(sika, case["id"], consent_override_reason="Danger immédiat pour l'enfant"))
    transition = answer["data"]["transitions"][-1]
    assert (transition["consent_overridden"], transition["override_reason"]) == (True, "Danger immédiat pour "
                                                                                       "l'enfant")


def test_a_recipient_answers_only_their_own_referral_and_a_rejection_needs_a_reason(office):
    awa, police, kofi = office["awa"], office["police"], office["kofi"]
    case = new_case(awa, **GIVEN)
    transition = ok(refer(awa, case["id"]))["data"]["transitions"][-1]
    base = f"/api/v1/cases/{case['id']}/referrals/{transition['id']}"
    assert kofi.post(base + "/accept", json={}).status_code in (403, 404)
    blank = police.post(base + "/reject", json={"data": {"reason": "   "}})
    assert blank.status_code == 422 and blank.get_json()["error"]["details"][0]["field"] == "data.reason"
    assert police.post(base + "/done", json={}).get_json()["error"]["code"] == "TRANSITION_CLOSED"
    ok(police.post(base + "/reject", json={"data": {"reason": "Hors de notre ressort"}}))
    assert police.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert awa.post(base + "/revoke", json={}).get_json()["error"]["code"] == "TRANSITION_CLOSED"
    again = ok(refer(awa, case["id"]))["data"]["transitions"][-1]
    ok(awa.post(f"/api/v1/cases/{case['id']}/referrals/{again['id']}/revoke", json={"data": {"reason": "Erreur"}}))
    assert police.get(f"/api/v1/cases/{case['id']}").status_code == 404


def test_a_transfer_changes_the_owner_only_when_the_recipient_accepts(office):
    awa, kofi = office["awa"], office["kofi"]
    case = new_case(awa, **GIVEN)
    answer = ok(awa.post(f"/api/v1/cases/{case['id']}/transfers", json={"data": {"to_user": "kofi"}}))
    transition = answer["data"]["transitions"][-1]
    assert answer["data"]["owned_by"] == "awa"
    assert kofi.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 12}}).status_code == 404
    assert ok(kofi.get(f"/api/v1/cases/{case['id']}"))["data"]["owned_by"] == "awa"
    second = awa.post(f"/api/v1/cases/{case['id']}/transfers", json={"data": {"to_user": "sika"}})
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "TRANSFER_PENDING"
    accepted = ok(kofi.post(f"/api/v1/cases/{case['id']}/transfers/{transition['id']}/accept", json={}))["data"]
    assert (accepted["owned_by"], accepted["associated_user_names"]) == ("kofi", ["kofi"])
    assert awa.get(f"/api/v1/cases/{case['id']}").status_code == 404
    ok(kofi.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 12}}))


def test_closing_needs_the_closure_fields_and_an_approved_closure_and_reopening_a_reason(office):
    awa, sika = office["awa"], office["sika"]
    case = new_case(awa)
    close = f"/api/v1/cases/{case['id']}/close"
    incomplete = awa.post(close, json={})
    assert incomplete.status_code == 422
    assert {d["field"] for d in incomplete.get_json()["error"]["details"]} == {"/closure_reason", "/date_closure"}
    ok(awa.patch(f"/api/v1/cases/{case['id']}", json={"data": {"closure_reason": "case_plan_completed",
                                                               "date_closure": "2026-11-28"}}))
    assert awa.post(close, json={}).get_json()["error"]["code"] == "CLOSURE_NOT_APPROVED"
    requested = ok(awa.post(f"/api/v1/cases/{case['id']}/approvals/closure", json={"data": {"comments": "Fini"}}))
    assert requested["data"]["pending_approvals"] == ["closure"]
    decision = f"/api/v1/cases/{case['id']}/approvals/closure/decision"
    assert awa.post(decision, json={"data": {"approved": True}}).status_code == 403
    assert sika.post(decision, json={"data": {"approved": False}}).status_code == 422  # a rejection needs comments
    decided = ok(sika.post(decision, json={"data": {"approved": True, "comments": "D'accord"}}))["data"]
    assert decided["approvals"][-1]["status"] == "approved" and decided["pending_approvals"] == []
    closed = ok(awa.post(close, json={}))["data"]
    assert (closed["status"], closed["stage"], closed["closed_by"]) == ("closed", "closed", "awa")
    assert awa.post(f"/api/v1/cases/{case['id']}/reopen", json={"data": {}}).status_code == 422
    reopened = ok(awa.post(f"/api/v1/cases/{case['id']}/reopen", json={"data": {"reason": "Nouvelle plainte"}}))
    assert (reopened["data"]["status"], reopened["data"]["stage"]) == ("open", "reopened")
    assert awa.post(close, json={}).get_json()["error"]["code"] == "CLOSURE_NOT_APPROVED"  # approved before reopening


def test_a_supervisor_does_not_decide_on_an_approval_they_requested(office):
    awa, sika = office["awa"], office["sika"]
    case = new_case(awa)
    ok(awa.patch(f"/api/v1/cases/{case['id']}", json={"data": {"date_case_plan": "2026-11-12"}}))
    ok(sika.post(f"/api/v1/cases/{case['id']}/approvals/case_plan", json={}))
    refused = sika.post(f"/api/v1/cases/{case['id']}/approvals/case_plan/decision", json={"data": {"approved": True}})
    assert refused.status_code == 403 and "another person" in refused.get_json()["error"]["message"]
    again = sika.post(f"/api/v1/cases/{case['id']}/approvals/case_plan", json={})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "APPROVAL_PENDING"


def test_flags_are_raised_listed_and_removed_with_reasons(office):
    awa, kofi = office["awa"], office["kofi"]
    case = new_case(awa)
    new_case(kofi)
    raised = ok(awa.post(f"/api/v1/cases/{case['id']}/flags", json={"data": {"reason": "Visite urgente",
                                                                             "date": "2026-12-02"}}))
    flag_id = raised["meta"]["flag_id"]
    assert raised["data"]["flagged"] is True
    listed = ok(awa.get("/api/v1/flags"))
    assert [(item["id"], [f["reason"] for f in item["flags"]]) for item in listed["data"]] == [
        (case["id"], ["Visite urgente"])]
    assert ok(kofi.get("/api/v1/flags"))["data"] == []
    removed = ok(awa.post(f"/api/v1/cases/{case['id']}/flags/{flag_id}/remove", json={"data": {"reason": "Fait"}}))
    assert removed["data"]["flagged"] is False and removed["data"]["flags"][0]["removed_reason"] == "Fait"
    again = awa.post(f"/api/v1/cases/{case['id']}/flags/{flag_id}/remove", json={"data": {"reason": "Fait"}})
    assert again.status_code == 409
    assert ok(awa.get("/api/v1/flags"))["data"] == []


def test_the_recipients_of_a_referral_are_those_whose_role_receives_it_with_role_and_agency(office):
    listed = ok(office["awa"].get("/api/v1/recipients", query_string={"action": "refer"}))["data"]
    names = {user["user_name"]: user for user in listed}
    assert {"police", "kofi", "sika"} <= set(names) and "awa" not in names and "partner" not in names
    assert (names["police"]["role_name"], names["police"]["agency_unique_id"]) == ("Focal point (police, justice)",
                                                                                  "brigade-mineurs")
    assert office["partner"].get("/api/v1/recipients", query_string={"action": "refer"}).status_code == 403


def test_an_action_on_a_case_out_of_scope_is_not_found_and_without_the_permission_forbidden(office):
    awa, kofi, partner = office["awa"], office["kofi"], office["partner"]
    case = new_case(awa, **GIVEN)
    assert refer(kofi, case["id"]).status_code == 404
    assert kofi.post(f"/api/v1/cases/{case['id']}/flags", json={"data": {"reason": "x"}}).status_code == 404
    made_up = str(uuid.uuid4())
    assert partner.post(f"/api/v1/cases/{made_up}/referrals", json={"data": {"to_user": "police"}}).status_code == 403
    assert partner.post(f"/api/v1/cases/{made_up}/close", json={}).status_code == 403
