"""A module's case workflow, as configuration: stages, services, consent, closure, approvals and tasks.

The module document holds it under `workflow` (schemas/module.json draws the shape; workflow_checks.py checks
that it names fields the case forms have):

    "workflow": {
      "stages": [{"id": "new", "name_i18n": {...}}, {"id": "case_plan", "name_i18n": {...},
                  "when": {"not": {"eq": {"date_case_plan": null}}}}, ...],
      "services": {"subform": "services_section", "type": "service_type", "due": "service_appointment_date", ...},
      "consent": {"services": {"field": "consent_for_services", "values": ["consent_given"]}, "sharing": {...}},
      "closure": {"required_fields": ["closure_reason"], "approval_required": true},
      "approvals": [{"id": "closure", "name_i18n": {...}}, ...],
      "tasks": [{"id": "followup", "name_i18n": {...}, "subform": "followup_subform_section",
                 "due_field": "followup_needed_by_date", "done_when": {"not": {"eq": {"followup_date": null}}}}]
    }

A case's stage is the LAST stage, in the configured order, whose `when` holds (a stage without `when` always
holds: the first is where every case starts). `when` is an expression of the expression language over the case's
data and these facts, which no form field can be named like (field names never start with "@"):

    @status            "open" or "closed"
    @reopened          true from a reopening until the case's data next change
    @services          the number of service rows; @services_pending: those not yet implemented
    @approval_<type>   the state of the last approval of that type: "requested", "approved", "rejected" or null
    @referrals         the number of referrals in progress or accepted
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from server.metadata import expressions
from server.metadata.configuration import Configuration
from server.metadata.documents import content_hash

APPROVAL_TYPES = ("assessment", "case_plan", "closure")
FACT_PREFIX = "@"
FACTS = ("@status", "@reopened", "@services", "@services_pending", "@referrals",
         *(f"@approval_{kind}" for kind in APPROVAL_TYPES))
SERVICE_ROLES = ("type", "due", "status", "implemented", "implemented_on", "provider_agency", "provider_user",
                 "notes")
# The envelope keys the workflow keeps on a case (server/workflow writes them; the stage reads them).
STAGE, REOPENED, APPROVALS, TRANSITIONS, FLAGS = "stage", "reopened", "approvals", "transitions", "flags"
OPEN, CLOSED = "open", "closed"
# Derived from each case's data on every write (records/service.py keeps them), so that a user's list of what to do
# and of services is one indexed query of their scope: TASKS the case's pending tasks ({task, row, due}), TASK_DUE
# the earliest of their due days; SERVICES one summary per service row ({id, due, implemented, requested_at,
# implemented_at}), SERVICE_DUE the earliest due day of a service not yet implemented (None: none is dated),
# SERVICES_OPEN how many are not implemented.
# DERIVED_FROM: the fingerprint of the workflow they were derived by (a published change of it derives them again).
TASKS, TASK_DUE, SERVICES, SERVICE_DUE, SERVICES_OPEN = "tasks", "task_due", "services", "service_due", "services_open"
DERIVED_FROM = "derived_from"
DERIVED_KEYS = (TASKS, TASK_DUE, SERVICES, SERVICE_DUE, SERVICES_OPEN, DERIVED_FROM)
ACTIVE_TRANSITION = ("in_progress", "accepted")


@dataclass(frozen=True)
class Stage:
    id: str
    name_i18n: dict[str, str]
    when: dict[str, Any] | None = None


@dataclass(frozen=True)
class Services:
    """The services subform and which of its fields play each part (SERVICE_ROLES); `implemented_value` is the
    option of the implemented field that means done."""

    subform: str
    fields: dict[str, str]
    implemented_value: str = "implemented"

    def field(self, part: str) -> str | None:
        return self.fields.get(part)


@dataclass(frozen=True)
class ConsentRule:
    """A consent a referral or transfer needs: the field that holds it and the values that mean it was given."""

    field: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Task:
    """Something a case worker has to do by a date: on the case (or on each row of `subform`), due on `due_field`'s
    date or `due_days` after another date, until `done_when` holds; only where `when` holds."""

    id: str
    name_i18n: dict[str, str]
    done_when: dict[str, Any]
    subform: str | None = None
    due_field: str | None = None
    due_after: str | None = None
    due_days: int | None = None
    when: dict[str, Any] | None = None


@dataclass(frozen=True)
class Workflow:
    module_id: str
    fingerprint: str
    stages: tuple[Stage, ...]
    services: Services | None
    consent: dict[str, ConsentRule]   # "services", "sharing"
    closure_required: tuple[str, ...]
    closure_approval: bool
    approvals: dict[str, dict[str, str]]   # approval type -> name_i18n
    tasks: tuple[Task, ...]

    def stage_ids(self) -> list[str]:
        return [stage.id for stage in self.stages]


def workflow_of(config: Configuration, module_id: str | None) -> Workflow | None:
    """The workflow of a module (None: the module has none, or does not exist)."""
    return config.module_part(module_id, "workflow", parse_workflow)


def parse_workflow(module_id: str, body: dict[str, Any]) -> Workflow:
    """Build a Workflow from a module's `workflow` (already valid against the module meta-schema)."""
    services = body.get("services")
    closure = body.get("closure") or {}
    return Workflow(
        module_id=module_id,
        fingerprint=content_hash(body)[:16],
        stages=tuple(Stage(s["id"], s.get("name_i18n") or {}, s.get("when")) for s in body.get("stages") or ()),
        services=Services(services["subform"], {part: services[part] for part in SERVICE_ROLES if part in services},
                          services.get("implemented_value", "implemented")) if services else None,
        consent={kind: ConsentRule(rule["field"], tuple(rule["values"]))
                 for kind, rule in (body.get("consent") or {}).items()},
        closure_required=tuple(closure.get("required_fields") or ()),
        closure_approval=bool(closure.get("approval_required")),
        approvals={a["id"]: a.get("name_i18n") or {} for a in body.get("approvals") or ()},
        tasks=tuple(Task(t["id"], t.get("name_i18n") or {}, t["done_when"], t.get("subform"), t.get("due_field"),
                         (t.get("due_days") or {}).get("after"), (t.get("due_days") or {}).get("days"), t.get("when"))
                    for t in body.get("tasks") or ()))


def service_rows(workflow: Workflow, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's service rows (objects only)."""
    if workflow.services is None:
        return []
    rows = data.get(workflow.services.subform)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def service_implemented(workflow: Workflow, row: dict[str, Any]) -> bool:
    services = workflow.services
    implemented = services.field("implemented") if services else None
    return bool(implemented) and row.get(implemented) == services.implemented_value


def last_approvals(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The last approval entry of each type on a case (the log is kept oldest first)."""
    last: dict[str, dict[str, Any]] = {}
    for entry in record.get(APPROVALS) or []:
        if isinstance(entry, dict):
            last[entry.get("type")] = entry
    return last


def facts(workflow: Workflow, record: dict[str, Any]) -> dict[str, Any]:
    """The workflow facts of a case (see the module docstring)."""
    rows = service_rows(workflow, record.get("data") or {})
    approvals = last_approvals(record)
    active = [t for t in record.get(TRANSITIONS) or [] if isinstance(t, dict) and t.get("type") == "referral"
              and t.get("status") in ACTIVE_TRANSITION]
    found = {"@status": record.get("status", OPEN), "@reopened": bool(record.get(REOPENED)),
             "@services": len(rows), "@services_pending": sum(not service_implemented(workflow, r) for r in rows),
             "@referrals": len(active)}
    found.update({f"@approval_{kind}": (approvals.get(kind) or {}).get("status") for kind in APPROVAL_TYPES})
    return found


def stage_of(workflow: Workflow, record: dict[str, Any]) -> str | None:
    """The stage of a case: the last configured stage whose condition holds over its data and facts."""
    values = {**(record.get("data") or {}), **facts(workflow, record)}
    current = None
    for stage in workflow.stages:
        if stage.when is None or expressions.evaluate(stage.when, values) is True:
            current = stage.id
    return current


def day_of(value: Any) -> str | None:
    """The day (YYYY-MM-DD) a date or date-time value of a record falls on (None: not a date)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


def _days_after(day: str | None, days: int) -> str | None:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat() if day else None


def _task_due(task: Task, values: dict[str, Any], created_day: str | None) -> str:
    """A pending task's due day: its due field, else `due_days` after its date field, else after (or on) the day
    the case was registered in Abri, so that a task never goes without a day for lack of a date in the data."""
    due = day_of(values.get(task.due_field)) if task.due_field else None
    if due is None and task.due_after:
        due = _days_after(day_of(values.get(task.due_after)), task.due_days or 0)
    return due or _days_after(created_day, task.due_days or 0) or "9999-12-31"


def pending_tasks(workflow: Workflow, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks of an open case not done yet: {task, row (a subform row's unique_id, or None), due}, by due day."""
    if record.get("status", OPEN) == CLOSED:
        return []
    data = record.get("data") or {}
    values = {**data, **facts(workflow, record)}
    created_day = day_of(record.get("created_at"))
    found = []
    for task in workflow.tasks:
        if task.when is not None and expressions.evaluate(task.when, values) is not True:
            continue
        if task.subform is None:
            if expressions.evaluate(task.done_when, values) is not True:
                found.append({"task": task.id, "row": None, "due": _task_due(task, values, created_day)})
            continue
        rows = data.get(task.subform)
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            row_values = {**values, **row}
            if expressions.evaluate(task.done_when, row_values) is not True:
                found.append({"task": task.id, "row": row.get("unique_id"),
                              "due": _task_due(task, row_values, created_day)})
    return sorted(found, key=lambda item: item["due"])


def service_summaries(workflow: Workflow, record: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """One summary per service row, keeping when each was first seen requested and implemented (the record's
    previous summaries say; a row first seen now is requested now)."""
    before = {item.get("id"): item for item in record.get(SERVICES) or [] if isinstance(item, dict)}
    summaries = []
    for row in service_rows(workflow, record.get("data") or {}):
        row_id = row.get("unique_id")
        known = before.get(row_id) or {}
        implemented = service_implemented(workflow, row)
        due_field = workflow.services.field("due") if workflow.services else None
        summaries.append({"id": row_id, "due": day_of(row.get(due_field)) if due_field else None,
                          "implemented": implemented, "requested_at": known.get("requested_at") or now,
                          "implemented_at": (known.get("implemented_at") or now) if implemented else None})
    return summaries


def derived(workflow: Workflow, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The DERIVED_KEYS of a case, from its data, facts and previous summaries."""
    tasks = pending_tasks(workflow, record)
    services = service_summaries(workflow, record, now)
    pending = [item for item in services if not item["implemented"]]
    dues = [item["due"] for item in pending if item["due"]]
    return {TASKS: tasks, TASK_DUE: tasks[0]["due"] if tasks else None, SERVICES: services,
            SERVICE_DUE: min(dues) if dues else None, SERVICES_OPEN: len(pending), DERIVED_FROM: workflow.fingerprint}
