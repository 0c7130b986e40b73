"""An office in Cotonou on the shipped configuration, for the data protection tests (services, API, CLI, browser).

Its people: a case worker and her supervisor (gups-cotonou), a police focal point (brigade-mineurs), a partner's data
manager (ong-enfance), the data protection officer and a system administrator. Its children, made through the API
as the case worker makes them:

    Awa    closed on 2020-06-30 (more than five years ago): identity, phone, address, a father in the family rows,
           a photo; an incident about her; a tracing request whose trace was matched to her; referred to the police
           with her consent. The default retention rule reaches her case.
    Kofi   closed on 2026-01-15: too recent for the rule. His consent to share was refused, and the supervisor
           referred him anyway, with a reason.
    Afi    open.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from server.config import PROJECT_ROOT
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings
from server.storage import get_db
from tests.api.test_attachments import upload
from tests.builders import make_user
from tests.conftest import authenticated
from tests.records.test_media import camera_png

PEOPLE = (("worker", "role-case-worker", "gups-cotonou", ["cotonou"]),
          ("supervisor", "role-supervisor", "gups-cotonou", ["cotonou"]),
          ("police", "role-focal-point", "brigade-mineurs", []),
          ("partner", "role-partner-data-manager", "ong-enfance", []),
          ("dpo", "role-data-protection-officer", "gups-cotonou", []),
          ("admin", "role-system-administrator", None, []))
CONSENT = {"consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}
AWA = {"registration_date": "2019-02-11", "name_first": "Awa", "name_last": "Kpogbé", "name_nickname": "Wawa",
       "sex": "female", "date_of_birth": "2012-03-04", "age": 6, "telephone_current": "+229 97 12 34 56",
       "address_current": "Quartier Zongo, Cotonou", "national_id_no": "NID-0042",
       "protection_concerns": ["gbv_survivor"], "risk_level": "high", "risk_level_reason": "Violences répétées",
       "family_situation": "Vit chez son oncle Moussa.",
       "family_details_section": [{"relation_name": "Moussa Kpogbé", "relation": "father", "relation_age": 41,
                                   "relation_telephone": "+229 96 00 11 22"}], **CONSENT}
KOFI = {"registration_date": "2025-09-01", "name_first": "Kofi", "name_last": "Mensah", "sex": "male", "age": 9,
        "protection_concerns": ["migrant"], "risk_level": "low", "consent_for_services": "consent_given",
        "consent_for_data_sharing": "consent_refused"}
AFI = {"registration_date": "2026-11-02", "name_first": "Afi", "name_last": "Houngbédji", "sex": "female", "age": 11,
       "risk_level": "medium", **CONSENT}
NAMES = ("Awa", "Kpogbé", "Wawa", "2012-03-04", "+229 97 12 34 56", "Zongo", "NID-0042", "Moussa", "+229 96 00 11 22")
TRACE_ID = str(uuid.UUID(int=42))
OVERRIDE = "Danger immédiat : la police doit intervenir"


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


@dataclass
class Office:
    app: object
    people: dict = field(default_factory=dict)
    cases: dict = field(default_factory=dict)
    incident: dict | None = None
    tracing_request: dict | None = None
    photo: bytes = b""

    def as_(self, name: str):
        return self.people[name]

    def case_url(self, name: str) -> str:
        return f"/api/v1/cases/{self.cases[name]['id']}"

    def close(self, name: str, date_closure: str) -> None:
        worker, url = self.people["worker"], self.case_url(name)
        ok(worker.patch(url, json={"data": {"closure_reason": "case_plan_completed", "date_closure": date_closure}}))
        ok(worker.post(url + "/approvals/closure", json={"data": {"comments": "Plan réalisé"}}))
        ok(self.people["supervisor"].post(url + "/approvals/closure/decision", json={"data": {"approved": True}}))
        ok(worker.post(url + "/close", json={"data": {}}))
        self.cases[name] = ok(worker.get(url))["data"]


def open_office(app) -> Office:
    """The office above, on `app` (a new app on any backend)."""
    with app.app_context():
        bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("fr", "en"), "fr"))
    office = Office(app, {name: authenticated(app, make_user(app, name, role, agency, groups))
                          for name, role, agency, groups in PEOPLE})
    worker = office.people["worker"]
    for name, data in (("awa", AWA), ("kofi", KOFI), ("afi", AFI)):
        office.cases[name] = ok(worker.post("/api/v1/cases", json={"data": data}), 201)["data"]
    awa = office.case_url("awa")
    office.photo = camera_png()
    ok(upload(worker, office.cases["awa"]["id"], "photos", office.photo, name="awa-zongo.png"), 201)
    ok(worker.post(awa + "/referrals", json={"data": {"to_user": "police", "notes": "Suspicion de violences"}}))
    ok(office.people["supervisor"].post(office.case_url("kofi") + "/referrals", json={"data": {
        "to_user": "police", "consent_override_reason": OVERRIDE}}))
    office.incident = ok(worker.post(awa + "/incidents", json={"data": {
        "incident_date": "2019-01-20", "cp_incident_violence_type": "neglect",
        "cp_incident_description": "Frappée par Moussa"}}), 201)["data"]
    request = ok(worker.post("/api/v1/tracing_requests", json={"data": {
        "inquiry_date": "2019-03-01", "relation_name": "Koffi Kpogbé", "relation_telephone": "+229 95 55 55 55",
        "tracing_request_subform_section": [{"unique_id": TRACE_ID, "name": "Awa", "sex": "female", "age": 7}]}}),
        201)["data"]
    office.tracing_request = ok(worker.post(
        f"/api/v1/tracing_requests/{request['id']}/traces/{TRACE_ID}/match",
        json={"data": {"case_id": office.cases["awa"]["id"]}}))["data"]
    office.close("awa", "2020-06-30")
    office.close("kofi", "2026-01-15")
    return office
