"""One child's case from registration to closing and reopening, on the shipped configuration, on mongomock and on
SecantusDB: what each participant (the social worker, her supervisor, a police focal point and a justice focal
point of other agencies, a partner's data manager) can and cannot read at every step."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from server.config import PROJECT_ROOT
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings
from server.storage import get_db, records as store
from tests.builders import make_user
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri

IDENTITY = {"registration_date": "2026-11-02", "name_first": "Afi", "name_last": "Houngbédji", "sex": "female",
            "age": 11, "risk_level": "high", "risk_level_reason": "Violences répétées",
            "protection_concerns": ["gbv_survivor"], "consent_for_services": "consent_given",
            "consent_for_data_sharing": "consent_given"}
ASSESSMENT = {"assessment_requested_on": "2026-11-03", "child_views": "Veut rester chez sa tante"}
CASE_PLAN = {"date_case_plan": "2026-11-10", "case_plan_objectives": "Mise en sécurité et suivi psychosocial"}
READ_BY_FOCAL_POINTS = set(IDENTITY) - {"consent_for_services", "consent_for_data_sharing"}


@pytest.fixture(params=BACKENDS)
def people(request, monkeypatch):
    monkeypatch.setattr(store, "wall_clock", lambda: 0.0)  # every write settled: a sync pull sends it at once
    with app_on(backend_uri(request)) as app:
        with app.app_context():
            bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("fr", "en"), "fr"))
        yield {name: authenticated(app, make_user(app, name, role, agency, groups))
               for name, role, agency, groups in (
                   ("awa", "role-case-worker", "gups-natitingou", ["natitingou"]),
                   ("sika", "role-supervisor", "gups-natitingou", ["natitingou"]),
                   ("police", "role-focal-point", "brigade-mineurs", []),
                   ("judge", "role-focal-point", "tribunal-natitingou", []),
                   ("partner", "role-partner-data-manager", "ong-enfance", []),
                   ("admin", "role-system-administrator", None, []))}


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


class Journey:
    """The case and the calls its participants make."""

    def __init__(self, people):
        self.people = people
        self.case = ok(people["awa"].post("/api/v1/cases", json={"data": IDENTITY}), 201)["data"]
        self.url = f"/api/v1/cases/{self.case['id']}"

    def as_(self, name, method, suffix="", status=200, **body):
        return ok(self.people[name].open(self.url + suffix, method=method, json={"data": body}), status)

    def edit(self, **data):
        self.case = self.as_("awa", "PATCH", **data)["data"]
        return self.case

    def seen_by(self, name):
        """What `name` reads of the case (None: not found for them, and not in their list either)."""
        client = self.people[name]
        response = client.get(self.url)
        listed = [item["id"] for item in ok(client.get("/api/v1/cases"))["data"]] if name != "admin" else None
        if response.status_code == 404:
            assert listed is None or self.case["id"] not in listed, name
            return None
        assert listed is None or self.case["id"] in listed, name
        return ok(response)["data"]

    def approve(self, kind):
        self.as_("awa", "POST", f"/approvals/{kind}", comments="Prêt")
        assert self.as_("awa", "POST", f"/approvals/{kind}/decision", status=403, approved=True)
        return self.as_("sika", "POST", f"/approvals/{kind}/decision", approved=True, comments="Validé")["data"]


def test_a_case_from_registration_to_closing_and_reopening(people):
    journey = Journey(people)
    assert journey.case["stage"] == "new"
    assert journey.seen_by("sika")["data"]["name_first"] == "Afi"  # her group's case
    for outsider in ("police", "judge", "partner"):
        assert journey.seen_by(outsider) is None

    # Assessment, approved by the supervisor.
    assert journey.edit(**ASSESSMENT)["stage"] == "assessment"
    assert journey.approve("assessment")["approvals"][-1]["decided_by"] == "sika"

    # Case plan, approved.
    assert journey.edit(**CASE_PLAN)["stage"] == "case_plan"
    journey.approve("case_plan")

    # A legal service, referred to the police focal point of the brigade (consent given).
    service_id = str(uuid.uuid4())
    row = {"unique_id": service_id, "service_type": "legal_assistance_service",
           "service_appointment_date": "2026-11-20", "service_implemented": "not_implemented"}
    assert journey.edit(services_section=[row])["stage"] == "service_provision"
    referred = journey.as_("awa", "POST", "/referrals", to_user="police", service_id=service_id,
                           notes="Plainte à recevoir")
    to_police = referred["data"]["transitions"][-1]
    assert (to_police["service_id"], to_police["to_agency"], to_police["consent_overridden"]) == (
        service_id, "brigade-mineurs", False)
    police_view = journey.seen_by("police")
    assert set(police_view["data"]) == READ_BY_FOCAL_POINTS
    assert "Veut rester" not in str(police_view) and "psychosocial" not in str(police_view)
    assert journey.seen_by("judge") is None and journey.seen_by("partner") is None
    journey.as_("police", "POST", f"/referrals/{to_police['id']}/accept")

    # The family withdraws its consent to share with other organisations: a referral to justice is refused; the
    # case worker may not override; the supervisor overrides with a reason, and both are recorded.
    journey.edit(consent_for_data_sharing="consent_refused", disclosure_restrictions="Pas d'autres organisations")
    refused = journey.as_("awa", "POST", "/referrals", status=422, to_user="judge")
    assert refused["error"]["code"] == "CONSENT_MISSING"
    assert [d["field"] for d in refused["error"]["details"]] == ["/consent_for_data_sharing"]
    assert journey.seen_by("judge") is None
    journey.as_("awa", "POST", "/referrals", status=403, to_user="judge", consent_override_reason="Urgence")
    overridden = journey.as_("sika", "POST", "/referrals", to_user="judge",
                             consent_override_reason="Danger grave et immédiat pour l'enfant")
    to_judge = overridden["data"]["transitions"][-1]
    assert (to_judge["consent_overridden"], to_judge["override_reason"], to_judge["created_by"]) == (
        True, "Danger grave et immédiat pour l'enfant", "sika")
    judge_view = journey.seen_by("judge")
    assert set(judge_view["data"]) == READ_BY_FOCAL_POINTS
    assert [t["to_user"] for t in judge_view["transitions"]] == ["judge"]  # not the police's referral
    assert [t["to_user"] for t in journey.seen_by("police")["transitions"]] == ["police"]
    audit = ok(people["admin"].get("/api/v1/audit_logs", query_string={"record_id": journey.case["id"],
                                                                        "action": "refer"}))["data"]
    assert sorted((entry["user_name"], entry.get("detail") or "") for entry in audit) == [
        ("awa", ""), ("awa", "PERMISSION_DENIED"), ("sika", "consent overridden")]

    # The police are done; justice declines. Neither reads the case any longer, and their devices are told.
    police_token = ok(people["police"].get("/api/v1/sync/records"))["meta"]["next_token"]
    journey.as_("police", "POST", f"/referrals/{to_police['id']}/done", note="Plainte enregistrée")
    journey.as_("judge", "POST", f"/referrals/{to_judge['id']}/reject", reason="Pas de suite judiciaire")
    assert journey.seen_by("police") is None and journey.seen_by("judge") is None
    pulled = ok(people["police"].get("/api/v1/sync/records", query_string={"token": police_token}))["data"]
    assert pulled == [{"record_type": "case", "id": journey.case["id"], "deleted": True, "reason": "out_of_scope"}]

    # The service is implemented; the closure form is filled in, approved, and the case closed.
    assert journey.edit(services_section=[{**row, "service_implemented": "implemented",
                                           "service_implemented_day_time": "2026-11-25"}])["stage"] == \
        "services_implemented"
    journey.edit(closure_reason="case_plan_completed", date_closure="2026-11-28")
    assert journey.as_("awa", "POST", "/close", status=409)["error"]["code"] == "CLOSURE_NOT_APPROVED"
    journey.approve("closure")
    closed = journey.as_("awa", "POST", "/close")["data"]
    assert (closed["status"], closed["stage"]) == ("closed", "closed")
    assert journey.seen_by("sika")["status"] == "closed"
    for outsider in ("police", "judge", "partner"):
        assert journey.seen_by(outsider) is None

    # Reopened with a reason: a new complaint.
    reopened = journey.as_("awa", "POST", "/reopen", reason="Nouvelle plainte de la tante")["data"]
    assert (reopened["status"], reopened["stage"], reopened["reopen_reason"]) == (
        "open", "reopened", "Nouvelle plainte de la tante")
    history = ok(people["sika"].get(journey.url + "/history", query_string={"per_page": 100}))["data"]
    actions = [(entry["action"], entry["user_name"]) for entry in reversed(history)]
    assert [pair for pair in actions if pair[0] not in ("update",)] == [
        ("create", "awa"), ("approval_request", "awa"), ("approval_decision", "sika"),
        ("approval_request", "awa"), ("approval_decision", "sika"), ("refer", "awa"),
        ("referral_accept", "police"), ("refer", "sika"), ("referral_done", "police"), ("referral_reject", "judge"),
        ("approval_request", "awa"), ("approval_decision", "sika"), ("close", "awa"), ("reopen", "awa")]
    assert [entry["status"] for entry in reopened["approvals"]] == [
        "approved", "approved", "approved"]


def days_from_today(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def tasks_of(client, **query):
    return ok(client.get("/api/v1/tasks", query_string=query))


def test_a_case_workers_tasks_follow_the_case_and_the_approvals_wait_for_the_supervisor(people):
    journey = Journey(people)
    tasks = tasks_of(people["awa"])["data"]
    assert [(t["task"], t["due"], t["overdue"], t["record_id"]) for t in tasks] == [
        ("assessment", "2026-11-05", True, journey.case["id"]), ("case_plan", "2026-11-16", True, journey.case["id"])]
    assert tasks[0]["case_id_display"] == journey.case["case_id_display"]
    assert tasks_of(people["awa"], locale="fr")["data"][0]["name"] == "Évaluation à faire"
    assert tasks_of(people["awa"], locale="en")["data"][0]["name"] == "Assessment due"
    assert [t["task"] for t in tasks_of(people["awa"], due_by="2026-11-10")["data"]] == ["assessment"]
    assert tasks_of(people["awa"], task="case_plan")["meta"]["total"] == 1
    assert tasks_of(people["sika"])["data"] == []  # not her case
    assert [t["task"] for t in tasks_of(people["sika"], owner="all")["data"]] == ["assessment", "case_plan"]
    for outsider in ("police", "partner"):
        assert tasks_of(people[outsider], owner="all")["data"] == []

    # The assessment is requested: its task is done, and the approval waits for the supervisor, not for awa.
    journey.edit(**ASSESSMENT)
    journey.as_("awa", "POST", "/approvals/assessment", comments="Prêt")
    assert [t["task"] for t in tasks_of(people["awa"])["data"]] == ["case_plan"]
    waiting = tasks_of(people["sika"])["data"]
    assert [(t["task"], t["kind"], t["requested_by"], t["approval_type"]) for t in waiting] == [
        ("approval_assessment", "approval", "awa", "assessment")]
    journey.as_("sika", "POST", "/approvals/assessment/decision", approved=True)
    assert tasks_of(people["sika"])["data"] == []

    # A follow-up to make and a service to give: each row is a task, due on its own day; done rows drop out.
    followup, service = str(uuid.uuid4()), str(uuid.uuid4())
    soon, later = days_from_today(2), days_from_today(23)
    journey.edit(date_case_plan="2026-11-10", followup_subform_section=[
        {"unique_id": followup, "followup_needed_by_date": later}],
        services_section=[{"unique_id": service, "service_type": "health_medical_service",
                           "service_appointment_date": soon, "service_implemented": "not_implemented"}])
    tasks = tasks_of(people["awa"])["data"]
    assert [(t["task"], t["row"], t["due"], t["overdue"]) for t in tasks] == [
        ("service", service, soon, False), ("followup", followup, later, False)]
    assert tasks_of(people["awa"], overdue="true")["data"] == []
    assert [t["task"] for t in tasks_of(people["awa"], due_by=soon)["data"]] == ["service"]
    journey.edit(followup_subform_section=[{"unique_id": followup, "followup_date": "2026-11-30"}])
    assert [t["task"] for t in tasks_of(people["awa"])["data"]] == ["service"]

    # Closed: nothing left to do.
    journey.edit(services_section=[{"unique_id": service, "service_implemented": "implemented"}],
                 closure_reason="case_plan_completed", date_closure="2026-11-30")
    journey.approve("closure")
    journey.as_("awa", "POST", "/close")
    assert tasks_of(people["awa"])["data"] == [] and tasks_of(people["sika"], owner="all")["data"] == []


def test_services_are_listed_from_request_to_implementation_with_their_referrals(people):
    journey = Journey(people)
    legal, health, later = str(uuid.uuid4()), str(uuid.uuid4()), days_from_today(40)
    journey.edit(services_section=[
        {"unique_id": legal, "service_type": "legal_assistance_service", "service_appointment_date": "2026-11-20",
         "service_implemented": "not_implemented"},
        {"unique_id": health, "service_type": "health_medical_service", "service_appointment_date": later,
         "service_implemented": "not_implemented"}])
    listed = ok(people["awa"].get("/api/v1/services"))
    assert [(s["service_id"], s["type"], s["due"], s["overdue"], s["implemented"]) for s in listed["data"]] == [
        (legal, "legal_assistance_service", "2026-11-20", True, False),
        (health, "health_medical_service", later, False, False)]
    requested_at = listed["data"][0]["requested_at"]
    assert [s["service_id"] for s in ok(people["sika"].get("/api/v1/services?state=overdue"))["data"]] == [legal]
    assert ok(people["sika"].get("/api/v1/services?owner=me"))["data"] == []
    assert [s["service_id"] for s in ok(people["awa"].get(
        "/api/v1/services?type=health_medical_service"))["data"]] == [health]

    journey.as_("awa", "POST", "/referrals", to_user="police", service_id=legal, notes="Plainte")
    # The police focal point reads the case but not its services form: no service is listed to them.
    assert journey.seen_by("police") is not None
    assert ok(people["police"].get("/api/v1/services?state=all"))["data"] == []
    # Nor are the case's tasks theirs: a referral shows the case, not the case worker's work on it.
    assert tasks_of(people["police"], owner="all")["data"] == []
    referral = ok(people["awa"].get(journey.url))["data"]["transitions"][-1]
    journey.as_("police", "POST", f"/referrals/{referral['id']}/accept")
    journey.edit(services_section=[{"unique_id": legal, "service_implemented": "implemented",
                                    "service_implemented_day_time": "2026-11-25"}])
    done = ok(people["awa"].get("/api/v1/services?state=implemented"))["data"]
    assert [(s["service_id"], s["implemented"], s["implemented_on"], s["requested_at"]) for s in done] == [
        (legal, True, "2026-11-25", requested_at)]
    assert done[0]["implemented_at"] >= requested_at
    assert [(r["to_user"], r["status"], r["created_by"]) for r in done[0]["referrals"]] == [
        ("police", "accepted", "awa")]
    assert "accepted_at" in done[0]["referrals"][0]
    assert [s["service_id"] for s in ok(people["awa"].get("/api/v1/services?state=all"))["data"]] == [health, legal]
    assert ok(people["awa"].get("/api/v1/services"))["meta"]["total"] == 1
    for name, query in (("awa", "state=late"), ("awa", "owner=everyone"), ("awa", "due_by=2026-13-01"),
                        ("awa", "due_by=%00"), ("awa", "per_page=0")):
        refused = people[name].get(f"/api/v1/services?{query}")
        assert refused.status_code in (400, 422), query
        assert refused.get_json()["error"]["details"][0]["field"].split("/")[-1] in query


def test_a_published_change_of_the_workflow_reaches_the_tasks_of_the_cases_already_stored(people):
    from server.services import workers
    from tests.builders import publish

    journey = Journey(people)
    app = people["awa"].application
    assert workers.refresh_workflows(app) == 0  # every case is derived by the published workflow
    assert [t["due"] for t in tasks_of(people["awa"], task="assessment")["data"]] == ["2026-11-05"]
    module = ok(people["admin"].get("/api/v1/modules/primeromodule-cp"))["data"]
    tasks = [dict(task, due_days={"after": "registration_date", "days": 5}) if task["id"] == "assessment" else task
             for task in module["workflow"]["tasks"]]
    ok(people["admin"].patch("/api/v1/modules/primeromodule-cp",
                             json={"data": {"workflow": {**module["workflow"], "tasks": tasks}}}))
    publish(people["admin"])

    revision = journey.as_("awa", "GET")["data"]["revision"]
    assert workers.refresh_workflows(app) == 1 and workers.refresh_workflows(app) == 0
    assert [t["due"] for t in tasks_of(people["awa"], task="assessment")["data"]] == ["2026-11-07"]
    assert journey.as_("awa", "GET")["data"]["revision"] == revision  # nothing the user wrote changed

    # A case stored before tasks existed gets them too.
    with app.app_context():
        get_db()["case"].update_many({}, {"$unset": {"tasks": 1, "task_due": 1, "derived_from": 1}})
        get_db()["record_sequences"].delete_many({"_id": {"$regex": "derived"}})
    assert tasks_of(people["awa"])["data"] == []
    assert workers.refresh_workflows(app) == 1
    assert [t["task"] for t in tasks_of(people["awa"])["data"]] == ["assessment", "case_plan"]
