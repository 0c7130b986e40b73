"""A large configuration in Primero's shape, built the way a deployed one looks: many forms, every field type,
many lookups, roles with Primero's whole permission vocabulary (app/models/permission.rb)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).with_name("fixtures") / "primero"

# Every action of Primero's permission vocabulary, and its resources.
PRIMERO_ACTIONS = (
    "read", "write", "create", "manage", "manage_restricted", "enable_disable_record", "flag", "flag_multiple",
    "resolve_any_flag", "flag_update", "import", "export_list_view_csv", "export_csv", "export_xls", "export_json",
    "export_photowall", "export_unhcr_csv", "export_duplicate_id_csv", "export_pdf", "export_mrm_violation_xls",
    "export_incident_recorder_xls", "export_custom", "referral_from_service", "consent_override", "sync_mobile",
    "sync_external", "request_approval_assessment", "request_approval_case_plan", "request_approval_closure",
    "request_approval_action_plan", "request_approval_gbv_closure", "approve_assessment", "approve_case_plan",
    "approve_closure", "approve_action_plan", "approve_gbv_closure", "self_approve", "copy", "group_read",
    "view_response", "view_protection_concerns_filter", "search_owned_by_others", "display_view_page",
    "request_transfer", "view_photo", "view_audio", "incident_from_case", "incident_details_from_case",
    "view_incident_from_case", "services_section_from_case", "admin_only", "agency_read", "remove_assigned_users",
    "service_provision_incident_details", "add_note", "find_tracing_match", "view_registry_record",
    "add_registry_record", "assign", "assign_within_agency", "assign_within_user_group", "transfer",
    "receive_transfer", "accept_or_reject_transfer", "referral", "receive_referral",
    "receive_referral_different_module", "reopen", "close", "delete", "change_log", "access_log",
    "view_family_record", "case_from_family", "link_incident_to_case", "verify_mrm")
RECORD_RESOURCES = ("case", "incident", "tracing_request")
ADMIN_RESOURCES = {
    "user": ("read", "write", "create", "manage", "agency_read", "assign"),
    "user_group": ("read", "write", "create", "manage", "assign"),
    "role": ("read", "write", "create", "manage", "assign", "copy"),
    "agency": ("read", "write", "create", "manage"),
    "metadata": ("manage",), "primero_configuration": ("manage",), "system": ("manage",),
    "audit_log": ("read", "manage"), "report": ("read", "write", "create", "manage", "group_read"),
    "managed_report": ("violations", "gbv_statistics", "protection_concerns_report"),
    "dashboard": ("case_overview", "case_risk", "workflow", "dash_tasks", "dash_flags"),
    "kpi": ("kpi_case_load", "kpi_number_of_cases"), "webhook": ("manage",), "usage_report": ("read",),
    "potential_match": ("read",), "duplicate": ("read",), "registry_record": ("read", "write", "create"),
    "family": ("read", "write", "create"), "activity_log": ("read",), "code_of_conduct": ("manage",),
    "matching_configuration": ("manage",),
}
FIELD_KINDS = ("text_field", "textarea", "select_lookup", "select_inline", "select_multi", "radio_button",
               "tick_box", "numeric_field", "date_field", "date_time", "date_range", "select_location",
               "select_agency", "select_user", "tally_field", "separator", "photo_upload_box", "audio_upload_box",
               "document_upload_box", "custom", "signature", "calculated")


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def _field(kind: str, name: str, index: int, lookups: int) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "display_name_en": f"Field {index}", "display_name_fr": f"Champ {index}",
                             "help_text_en": "Help", "visible": True, "mobile_visible": index % 2 == 0,
                             "show_on_minify_form": index % 7 == 0, "required": index % 11 == 0}
    types = {"select_lookup": "select_box", "select_inline": "select_box", "select_multi": "select_box",
             "date_time": "date_field", "select_location": "select_box", "select_agency": "select_box",
             "select_user": "select_box"}
    field["type"] = types.get(kind, kind)
    if kind in ("select_lookup", "radio_button", "select_multi"):
        field["option_strings_source"] = f"lookup lookup-list-{index % lookups}"
    if kind == "select_multi":
        field["multi_select"] = True
    if kind == "select_inline":
        field["option_strings_text_en"] = [{"id": "one", "display_text": "One"}, {"id": "two", "display_text": "Two"}]
        field["option_strings_text_fr"] = [{"id": "one", "display_text": "Un"}, {"id": "two", "display_text": "Deux"}]
    source = {"select_location": "Location", "select_agency": "Agency", "select_user": "User"}.get(kind)
    if source:
        field["option_strings_source"] = source
    if kind == "date_time":
        field["date_include_time"] = True
        field["date_validation"] = "not_future_date"
    if kind == "tally_field":
        field["tally_en"] = [{"id": "boys", "display_text": "Boys"}, {"id": "girls", "display_text": "Girls"}]
    if kind == "tick_box":
        field["tick_box_label_en"] = "Yes"
    return field


def large_configuration(top_level: int = 50, nested: int = 10, fields_per_form: int = 20,
                        lookups: int = 100) -> dict[str, Any]:
    """`top_level` + `nested` forms; each top-level form has `fields_per_form` fields of every kind in turn (and a
    numeric field its calculated field sums, and a condition), one in five shows a nested form."""
    record_types = ["case"] * (top_level * 3 // 5) + ["incident"] * (top_level // 5)
    record_types += ["tracing_request"] * (top_level - len(record_types))
    forms = []
    for number in range(top_level):
        uid = f"form_{number:02d}"
        fields = []
        for index in range(fields_per_form):
            kind = FIELD_KINDS[(number + index) % len(FIELD_KINDS)]
            fields.append(_field(kind, f"{uid}_{kind}_{index}", index, lookups))
        fields.append({"name": f"{uid}_number", "type": "numeric_field", "display_name_en": "Number"})
        for field in fields:
            if field["type"] == "calculated":
                field["calculation"] = {"expression": {"sum": [f"{uid}_number", 1]}}
        fields[1]["display_conditions_record"] = {"gt": {f"{uid}_number": 2}}
        if number < nested:
            fields.append({"name": f"{uid}_rows", "type": "subform", "display_name_en": "Rows",
                           "subform_section_unique_id": f"nested_{number:02d}",
                           "subform_section_configuration": {"subform_sort_by": f"nested_{number:02d}_date",
                                                             "subform_group_by": f"nested_{number:02d}_note"}})
        forms.append({"unique_id": uid, "parent_form": record_types[number], "name_en": f"Form {number}",
                      "name_fr": f"Formulaire {number}", "order": number, "fields_attributes": fields})
    for number in range(nested):
        uid = f"nested_{number:02d}"
        forms.append({"unique_id": uid, "parent_form": record_types[number], "is_nested": True, "visible": False,
                      "name_en": f"Nested {number}", "collapsed_field_names": [f"{uid}_date"],
                      "fields_attributes": [
                          {"name": f"{uid}_date", "type": "date_field", "display_name_en": "Date"},
                          {"name": f"{uid}_note", "type": "text_field", "display_name_en": "Note",
                           "display_conditions_subform": {"eq": {f"{uid}_kind": "a"}},
                           "display_conditions_record": {"eq": {"form_00_number": 1}}},
                          {"name": f"{uid}_kind", "type": "select_box", "display_name_en": "Kind",
                           "option_strings_text_en": [{"id": "a", "display_text": "A"}]},
                          {"name": f"{uid}_period", "type": "date_range", "display_name_en": "Period"},
                          {"name": f"{uid}_count", "type": "numeric_field", "display_name_en": "Count"}]})
    return {"forms": forms, "lookups": [_lookup(number) for number in range(lookups)], "roles": _roles(forms),
            "modules": [{"unique_id": "primeromodule-cp", "name_en": "CP",
                         "associated_record_types": ["case", "incident", "tracing_request", "family"]}],
            "locations": [{"location_code": "XX", "admin_level": 0, "type": "country", "placename_en": "Country"}]
            + [{"location_code": f"XX{n:02d}", "admin_level": 1, "type": "province", "placename_en": f"P{n}",
                "hierarchy_path": f"XX.XX{n:02d}"} for n in range(20)]}


def _lookup(number: int) -> dict[str, Any]:
    return {"unique_id": f"lookup-list-{number}", "name_en": f"List {number}", "name_fr": f"Liste {number}",
            "lookup_values_en": [{"id": f"v{v}", "display_text": f"Value {v}"} for v in range(5)],
            "lookup_values_fr": [{"id": f"v{v}", "display_text": f"Valeur {v}"} for v in range(5)]}


def _roles(forms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    everything = [{"resource": resource, "actions": list(PRIMERO_ACTIONS)} for resource in RECORD_RESOURCES]
    everything += [{"resource": resource, "actions": list(actions)} for resource, actions in ADMIN_RESOURCES.items()]
    top_level = [form["unique_id"] for form in forms if not form.get("is_nested")]
    return [
        {"unique_id": "role-superuser", "name_en": "Superuser", "group_permission": "all", "permissions": everything},
        {"unique_id": "role-cp-case-worker", "name_en": "Case worker", "group_permission": "self",
         "form_section_unique_ids": top_level[:10], "module_unique_ids": ["primeromodule-cp"],
         "permissions": [{"resource": "case", "actions": ["read", "write", "create", "referral", "export_pdf"]}]},
        {"unique_id": "role-cp-user-manager", "name_en": "User manager", "group_permission": "group",
         "permissions": [{"resource": "user", "actions": ["read", "write"]},
                         {"resource": "role", "actions": ["assign"], "role_unique_ids": ["role-cp-case-worker"]}]},
    ]


def element_count(config: dict[str, Any]) -> dict[str, int]:
    """How many elements of each kind the file holds (what a report must account for)."""
    permissions = sum(len(p["actions"]) if isinstance(p, dict) else len(role["permissions"][p])
                      for role in config["roles"] for p in role["permissions"])
    return {"form": len(config["forms"]), "field": sum(len(f["fields_attributes"]) for f in config["forms"]),
            "lookup": len(config["lookups"]), "role": len(config["roles"]), "permission": permissions,
            "module": len(config["modules"]), "location": len(config["locations"])}
