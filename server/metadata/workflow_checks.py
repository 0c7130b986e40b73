"""The checks of a module's workflow: every field it names exists where it is used, every condition reads fields
and facts there are, ids are unique, and a closure approval that is required is one the workflow has."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

from server.metadata.configuration import Configuration
from server.metadata.documents import MODULE
from server.metadata.problems import ERROR, CheckContext, Problem, check_expression, key
from server.metadata.workflow import FACTS, SERVICE_ROLES

CASE = "case"


def _case_fields(config: Configuration, module_id: str) -> tuple[set[str], dict[str, set[str]]]:
    """The top-level field names of the module's case forms, and {subform field: its row field names}."""
    top: set[str] = set()
    rows: dict[str, set[str]] = {}
    for _, form in config.forms_of(CASE, nested=False):
        if module_id not in form.get("module_ids", [module_id]):
            continue
        for field in form["fields"]:
            top.add(field["name"])
            nested = config.forms.get(field.get("subform_section_id") or "")
            if field["type"] == "subform" and nested:
                rows[field["name"]] = {f["name"] for f in nested["fields"]}
    return top, rows


def _unknown(document: str, path: str, name: str) -> Problem:
    return Problem("WORKFLOW_FIELD_UNKNOWN", ERROR, document, path, {"name": name})


def _workflows(config: Configuration) -> Iterator[tuple[str, dict[str, Any], set[str], dict[str, set[str]]]]:
    """(document key, workflow, top-level case fields, subform rows' fields) of each module with a workflow."""
    for uid, module in config.modules.items():
        if isinstance(module.get("workflow"), dict):
            yield (key(MODULE, uid), module["workflow"], *_case_fields(config, uid))


def check_workflow_fields(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Services, consent, closure and tasks name fields of the module's case forms (rows for a subform's)."""
    for document, workflow, top, rows in _workflows(config):
        services = workflow.get("services") or {}
        if services and services["subform"] not in rows:
            yield _unknown(document, "workflow/services/subform", services["subform"])
        for part in SERVICE_ROLES:
            name = services.get(part)
            if name and services["subform"] in rows and name not in rows[services["subform"]]:
                yield _unknown(document, f"workflow/services/{part}", name)
        for kind, rule in (workflow.get("consent") or {}).items():
            if rule["field"] not in top:
                yield _unknown(document, f"workflow/consent/{kind}/field", rule["field"])
        for name in (workflow.get("closure") or {}).get("required_fields", []):
            if name not in top:
                yield _unknown(document, "workflow/closure/required_fields", name)
        for index, task in enumerate(workflow.get("tasks") or []):
            yield from _task_fields(task, top, rows, document, f"workflow/tasks/{index}")


def _task_fields(task: dict[str, Any], top: set[str], rows: dict[str, set[str]], document: str,
                 path: str) -> Iterator[Problem]:
    subform = task.get("subform")
    if subform and subform not in rows:
        yield _unknown(document, f"{path}/subform", subform)
        return
    names = rows[subform] if subform else top
    due_days = task.get("due_days") or {}
    for attribute, name in (("due_field", task.get("due_field")), ("due_days/after", due_days.get("after"))):
        if name and name not in names:
            yield _unknown(document, f"{path}/{attribute}", name)
    if not task.get("due_field") and not due_days:
        yield Problem("WORKFLOW_TASK_NO_DUE_DATE", ERROR, document, path, {"task": task["id"]})
    readable = names if subform else names | set(FACTS)  # facts are the case's, not a row's
    for attribute in ("done_when", "when"):
        if attribute in task:
            yield from check_expression(task[attribute], "display_conditions", readable, document,
                                        f"{path}/{attribute}")


def check_workflow_stages(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Stage, approval and task ids are unique; stage conditions read case fields and workflow facts."""
    for document, workflow, top, _ in _workflows(config):
        for part in ("stages", "approvals", "tasks"):
            for ident, count in Counter(item["id"] for item in workflow.get(part) or []).items():
                if count > 1:
                    yield Problem("WORKFLOW_ID_DUPLICATE", ERROR, document, f"workflow/{part}", {"id": ident})
        for index, stage in enumerate(workflow.get("stages") or []):
            if "when" in stage:
                yield from check_expression(stage["when"], "display_conditions", top | set(FACTS), document,
                                            f"workflow/stages/{index}/when")
        closure = workflow.get("closure") or {}
        approvals = {item["id"] for item in workflow.get("approvals") or []}
        if closure.get("approval_required") and "closure" not in approvals:
            yield Problem("WORKFLOW_CLOSURE_APPROVAL_MISSING", ERROR, document, "workflow/closure/approval_required")


WORKFLOW_CHECKS = (check_workflow_fields, check_workflow_stages)
