"""The entity kinds as a user types them on the command line."""

from __future__ import annotations

from enum import StrEnum

from graven.v1 import identifier_pb2 as idl


class Kind(StrEnum):
    tasks = "tasks"
    workflows = "workflows"
    launchplans = "launchplans"

    @property
    def resource_type(self) -> idl.ResourceType:
        return RESOURCE_TYPES[self]

    @property
    def singular(self) -> str:
        return {"tasks": "task", "workflows": "workflow", "launchplans": "launch plan"}[self.value]


RESOURCE_TYPES = {
    Kind.tasks: idl.RESOURCE_TYPE_TASK,
    Kind.workflows: idl.RESOURCE_TYPE_WORKFLOW,
    Kind.launchplans: idl.RESOURCE_TYPE_LAUNCH_PLAN,
}

ALIASES = {
    "task": Kind.tasks,
    "workflow": Kind.workflows,
    "wf": Kind.workflows,
    "launchplan": Kind.launchplans,
    "launch-plan": Kind.launchplans,
    "lp": Kind.launchplans,
}


def parse_kind(text: str) -> Kind:
    """Accept plural, singular and short forms: tasks, task, workflow, wf, lp…"""
    value = text.lower()
    if value in ALIASES:
        return ALIASES[value]
    try:
        return Kind(value)
    except ValueError:
        choices = ", ".join(k.value for k in Kind)
        raise ValueError(f"unknown kind {text!r}; expected one of {choices}") from None
