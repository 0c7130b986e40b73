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


def minimal_configuration() -> Configuration:
    """A module, two lookups, a case form with a subform, an incident form."""
    documents = [
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


def seed(app, config: Configuration) -> None:
    """Publish `config` as the app's first version."""
    from datetime import datetime, timezone

    from server.metadata import draft as drafts
    from server.metadata.versions import LanguageSettings
    from server.storage import get_db

    with app.app_context():
        drafts.replace_draft(get_db(), list(config.documents()), "tester", datetime.now(timezone.utc), force=True)
        drafts.publish_draft(get_db(), LanguageSettings(("en", "fr"), "en"), "tester", datetime.now(timezone.utc),
                             "seed")
