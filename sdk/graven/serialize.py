"""A loaded project as the specs to register, with their identifiers, in dependency order.

Versions default to ``graven.versioning.default_version`` of each spec (which leaves the
bundle digest out, see there); an explicit ``version`` (a git sha, a release tag) is used
for every entity instead.
"""

from __future__ import annotations

from graven.errors import GravenValueError
from graven.loader import Project
from graven.names import name_problem
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
    ResourceType,
)
from graven.v1.workflow_pb2 import WorkflowSpec
from graven.versioning import Spec, default_version


def registration_plan(
    project: Project,
    project_name: str,
    domain: str,
    bundle_digest: str,
    version: str | None = None,
) -> list[tuple[Identifier, Spec]]:
    """Tasks, then workflows, then launch plans, each with its full identifier."""
    for kind, value in (("project", project_name), ("domain", domain)):
        problem = name_problem(kind, value)
        if problem is not None:
            raise GravenValueError(problem)
    if version is not None:
        problem = name_problem("version", version)
        if problem is not None:
            raise GravenValueError(problem)

    def identify(kind: ResourceType, name: str, spec: Spec) -> Identifier:
        return Identifier(
            resource_type=kind,
            project=project_name,
            domain=domain,
            name=name,
            version=version or default_version(spec),
        )

    plan: list[tuple[Identifier, Spec]] = []
    task_ids: dict[str, Identifier] = {}
    for task in project.tasks:
        task_spec = task.spec(bundle_digest)
        task_ids[task.name] = identify(RESOURCE_TYPE_TASK, task.name, task_spec)
        plan.append((task_ids[task.name], task_spec))
    workflow_ids: dict[str, Identifier] = {}
    for wf in project.workflows:
        compiled = wf.compile()
        workflow_spec = WorkflowSpec(template=compiled.template, description=wf.description)
        for node, traced in zip(workflow_spec.template.nodes, compiled.nodes, strict=True):
            node.task_node.task_id.CopyFrom(task_ids[traced.task.name])
        workflow_ids[wf.name] = identify(RESOURCE_TYPE_WORKFLOW, wf.name, workflow_spec)
        plan.append((workflow_ids[wf.name], workflow_spec))
    for launch_plan in project.launch_plans:
        plan_spec = launch_plan.spec(workflow_ids[launch_plan.workflow.name])
        plan.append((identify(RESOURCE_TYPE_LAUNCH_PLAN, launch_plan.name, plan_spec), plan_spec))
    return plan
