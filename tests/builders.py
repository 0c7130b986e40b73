"""Small builders: a whole form states in a few lines."""
from __future__ import annotations

import copy
from typing import Any

from server.metadata.configuration import Configuration


def i18n(en: str, fr: str | None = None) -> dict[str, str]:
    return {"en": en, "fr": fr if fr is not None else en + " (fr)"}


def field(name: str, type_: str = "text_field", **attributes: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "display_name_i18n": i18n(name.replace("_", " ").capitalize()),
            **attributes}


def form(unique_id: str, *fields: dict, parent_form: str = "case", **attributes: Any) -> dict[str, Any]:
    return {"unique_id": unique_id, "parent_form": parent_form, "module_ids": ["primeromodule-cp"],
            "name_i18n": i18n(unique_id.replace("_", " ").capitalize()), "fields": list(fields), **attributes}


def lookup(unique_id: str, *ids: str, **attributes: Any) -> dict[str, Any]:
    return {"unique_id": unique_id, "name_i18n": i18n(unique_id),
            "lookup_values_i18n": [{"id": i, "display_text": i18n(i.capitalize())} for i in ids], **attributes}


def module() -> dict[str, Any]:
    return {"unique_id": "primeromodule-cp", "name_i18n": i18n("Child protection", "Protection de l'enfance"),
            "associated_record_types": ["case", "incident", "tracing_request"]}


ALL_ACTIONS = {"case": ["read", "create", "write", "disable", "view_history", "export_xlsx", "export_csv",
                        "export_json", "export_identifying", "assign", "refer", "transfer", "flag"],
               "metadata": ["manage", "manage_translations"], "user": ["manage"], "role": ["manage"], "agency": ["manage"],
               "audit_log": ["read"]}
ALL_ACTIONS["incident"] = ALL_ACTIONS["tracing_request"] = ALL_ACTIONS["case"]


def role(unique_id: str, permissions: dict[str, list[str]], group_permission: str = "self",
         forms: dict[str, str] | None = None, assignable: list[str] | None = None) -> dict[str, Any]:
    body = {"unique_id": unique_id, "name_i18n": i18n(unique_id), "permissions": permissions,
            "group_permission": group_permission}
    if forms is not None:
        body["form_section_read_write"] = forms
    if assignable is not None:
        body["assignable_role_ids"] = assignable
    return body


def minimal_configuration() -> Configuration:
    """A module, two lookups, a case form with a subform, an incident form, an administrator role."""
    documents = [
        ("role", "role-system-administrator", role("role-system-administrator", ALL_ACTIONS, "all", assignable=["*"])),
        ("module", "primeromodule-cp", module()),
        ("lookup", "lookup-sex", lookup("lookup-sex", "female", "male", locked=True)),
        ("lookup", "lookup-risk-level", lookup("lookup-risk-level", "low", "medium", "high")),
        ("form", "basic_identity", form(
            "basic_identity",
            field("name", searchable=True, max_length=200),
            field("sex", "select_box", option_strings_source="lookup lookup-sex", filterable=True),
            field("age", "numeric_field", min_value=0, max_value=120),
            field("date_of_birth", "date_field"),
            field("risk_level", "select_box", option_strings_source="lookup lookup-risk-level"),
            field("risk_reason", "textarea", required=True, display_conditions={"in": {"risk_level": ["high"]}}),
            field("family_members", "subform", subform_section_id="family_members_section"),
            order=10)),
        ("form", "family_members_section", form(
            "family_members_section", field("relation_name"), field("relation_age", "numeric_field"),
            is_nested=True, visible=False)),
        ("form", "cp_incident_form", form("cp_incident_form", field("incident_date", "date_field"),
                                          parent_form="incident")),
    ]
    return Configuration.from_documents(copy.deepcopy(documents))


def seed(app, config: Configuration) -> str:
    """Publish `config` as the app's first version; create `admin` and return a bearer token of theirs."""
    from datetime import datetime, timezone

    from server.metadata import draft as drafts
    from server.metadata.versions import LanguageSettings
    from server.storage import get_db

    with app.app_context():
        drafts.replace_draft(get_db(), list(config.documents()), "tester", datetime.now(timezone.utc), force=True)
        drafts.publish_draft(get_db(), LanguageSettings(("en", "fr"), "en"), "tester", datetime.now(timezone.utc),
                             "seed")
        return make_user(app, "admin", "role-system-administrator")


PASSWORD = "correct horse battery"


def make_user(app, user_name: str, role_id: str, agency: str | None = None, groups: list[str] | None = None) -> str:
    """Create a user (password PASSWORD) and return a bearer token of theirs."""
    from datetime import datetime, timedelta, timezone

    from server.auth import accounts, tokens
    from server.metadata.versions import published_configuration
    from server.storage import get_db

    now = datetime.now(timezone.utc)
    with app.app_context():
        db = get_db()
        for kind, key in [("agencies", agency), *[("user_groups", g) for g in groups or []]]:
            if key and accounts.store.find(db, kind, key) is None:
                accounts.create_entity(db, kind, {"unique_id": key}, now)
        user = accounts.create_user(db, published_configuration(db), {
            "user_name": user_name, "password": PASSWORD, "role_unique_id": role_id,
            "agency_unique_id": agency, "user_group_unique_ids": groups or []}, now)
        return tokens.issue_token(db, user, tokens.BEARER, now, timedelta(hours=1))["token"]


def publish(client, comment: str = "") -> dict:
    """Publish the draft through the API as `client`; fail the test if it is refused."""
    response = client.post("/api/v1/metadata/publish", json={"data": {"comment": comment}} if comment else {})
    assert response.status_code == 201, response.get_json()
    return response.get_json()
