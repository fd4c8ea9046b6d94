"""A loaded project as the specs to register, with their identifiers, in dependency order.

Every entity comes after what it references: tasks first, then each workflow after the
subworkflows it inlines and the launch plans it starts as nodes (each of those after its own
workflow), then the remaining launch plans. A spec names what it references by versioned id
(tasks in task, map and failure nodes, at any depth in branch cases; subworkflows; launch
plans), so a change anywhere below a workflow re-versions it.

Versions default to ``graven.versioning.default_version`` of each spec (which leaves the
bundle digest out, see there); an explicit ``version`` (a git sha, a release tag) is used
for every entity instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from graven.errors import GravenValueError
from graven.launch_plan import LaunchPlan
from graven.loader import Project
from graven.names import name_problem
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
    ResourceType,
)
from graven.v1.workflow_pb2 import Node, WorkflowSpec
from graven.versioning import Spec, default_version
from graven.workflow import Workflow


def registration_plan(
    project: Project,
    project_name: str,
    domain: str,
    bundle_digest: str,
    version: str | None = None,
) -> list[tuple[Identifier, Spec]]:
    """Tasks, then workflows and launch plans, each after what it references, with ids."""
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
    ids: dict[tuple[ResourceType, str], Identifier] = {}
    for task in project.tasks:
        task_spec = task.spec(bundle_digest)
        ids[(RESOURCE_TYPE_TASK, task.name)] = identify(RESOURCE_TYPE_TASK, task.name, task_spec)
        plan.append((ids[(RESOURCE_TYPE_TASK, task.name)], task_spec))

    def add_workflow(wf: Workflow[..., object]) -> None:
        key = (RESOURCE_TYPE_WORKFLOW, wf.name)
        if key in ids:
            return
        compiled = wf.compile()
        # Recursion was refused when the workflows were traced, so this terminates.
        for sub in compiled.sub_workflows:
            add_workflow(sub)
        for launch_plan in compiled.launch_plans:
            add_launch_plan(launch_plan)
        workflow_spec = WorkflowSpec(template=compiled.template, description=wf.description)
        template = workflow_spec.template
        for node in template.nodes:
            _fill_ids(node, ids)
        if template.HasField("failure_node"):
            _fill_ids(template.failure_node, ids)
        ids[key] = identify(RESOURCE_TYPE_WORKFLOW, wf.name, workflow_spec)
        plan.append((ids[key], workflow_spec))

    def add_launch_plan(launch_plan: LaunchPlan) -> None:
        key = (RESOURCE_TYPE_LAUNCH_PLAN, launch_plan.name)
        if key in ids:
            return
        add_workflow(launch_plan.workflow)
        plan_spec = launch_plan.spec(ids[(RESOURCE_TYPE_WORKFLOW, launch_plan.workflow.name)])
        ids[key] = identify(RESOURCE_TYPE_LAUNCH_PLAN, launch_plan.name, plan_spec)
        plan.append((ids[key], plan_spec))

    for wf in project.workflows:
        add_workflow(wf)
    for launch_plan in project.launch_plans:
        add_launch_plan(launch_plan)
    return plan


def _fill_ids(node: Node, ids: Mapping[tuple[ResourceType, str], Identifier]) -> None:
    """Give every reference in ``node`` (and the nodes of its cases) its full identifier."""
    target = node.WhichOneof("target")
    if target == "task_node":
        node.task_node.task_id.CopyFrom(ids[(RESOURCE_TYPE_TASK, node.task_node.task_id.name)])
    elif target == "array_node":
        node.array_node.task_id.CopyFrom(ids[(RESOURCE_TYPE_TASK, node.array_node.task_id.name)])
    elif target == "workflow_node":
        ref = node.workflow_node
        if ref.WhichOneof("reference") == "sub_workflow_id":
            ref.sub_workflow_id.CopyFrom(ids[(RESOURCE_TYPE_WORKFLOW, ref.sub_workflow_id.name)])
        else:
            ref.launch_plan_id.CopyFrom(ids[(RESOURCE_TYPE_LAUNCH_PLAN, ref.launch_plan_id.name)])
    elif target == "branch_node":
        branch = node.branch_node
        for case in branch.cases:
            _fill_ids(case.then_node, ids)
        if branch.WhichOneof("otherwise") == "else_node":
            _fill_ids(branch.else_node, ids)
