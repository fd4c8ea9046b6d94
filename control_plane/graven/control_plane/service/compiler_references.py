"""The registered entities a workflow's nodes reference, at any depth, and what its closure
takes from them.

Registered entities are immutable and may only reference entities registered before them,
so two registered workflows can never form a cycle: recursion can only come through the
entries of the registration under way that are not stored yet (the workflow being compiled
among them). A reference to one of those is either recursion, when it leads back to the
workflow being compiled, or an entry out of order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.compiler_walk import Located, entity_references
from graven.control_plane.service.identifiers import describe
from graven.control_plane.service.validation import check_identifier, require
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.launch_plan_pb2 import LaunchPlan, LaunchPlanSpec
from graven.v1.task_pb2 import Task
from graven.v1.workflow_pb2 import Workflow, WorkflowSpec

# The registered tasks among the ids asked for (one call for a whole workflow).
TaskResolver = Callable[[Sequence[Identifier]], Iterable[Task]]
WorkflowResolver = Callable[[Identifier], Workflow | None]
LaunchPlanResolver = Callable[[Identifier], LaunchPlan | None]
# The spec of an entry of this registration that is not stored yet.
PendingResolver = Callable[[Identifier], WorkflowSpec | LaunchPlanSpec | None]


def _nothing(_: Identifier) -> None:
    return None


@dataclass(frozen=True)
class Resolvers:
    tasks: TaskResolver
    workflow: WorkflowResolver = _nothing
    launch_plan: LaunchPlanResolver = _nothing
    pending: PendingResolver = _nothing


@dataclass
class Resolved:
    tasks: dict[bytes, Task] = field(default_factory=dict)
    workflows: dict[bytes, Workflow] = field(default_factory=dict)
    launch_plans: dict[bytes, LaunchPlan] = field(default_factory=dict)


def key(identifier: Identifier) -> bytes:
    return identifier.SerializeToString(deterministic=True)


def task_reference(place: Located) -> tuple[str, Identifier] | None:
    """The task a task or map node runs, with the path of its id."""
    target = place.node.WhichOneof("target")
    if target == "task_node":
        return f"{place.field}.task_node.task_id", place.node.task_node.task_id
    if target == "array_node":
        return f"{place.field}.array_node.task_id", place.node.array_node.task_id
    return None


def workflow_reference(place: Located) -> tuple[str, Identifier, int] | None:
    """The workflow or launch plan a workflow node names, the path of its id and its kind."""
    if place.node.WhichOneof("target") != "workflow_node":
        return None
    workflow_node = place.node.workflow_node
    reference = workflow_node.WhichOneof("reference")
    if reference is None:
        raise InvalidArgument(
            f"{place.field}.workflow_node",
            f"{place.label}: set one of sub_workflow_id or launch_plan_id",
        )
    kind = RESOURCE_TYPE_WORKFLOW if reference == "sub_workflow_id" else RESOURCE_TYPE_LAUNCH_PLAN
    return f"{place.field}.workflow_node.{reference}", getattr(workflow_node, reference), kind


def resolve(
    places: Sequence[Located], resolvers: Resolvers, registering: Identifier | None
) -> Resolved:
    """Look every referenced entity up (the tasks in one call) or refuse the first missing."""
    resolved = Resolved()
    wanted: dict[bytes, tuple[Located, str, Identifier]] = {}
    for place in places:
        task = task_reference(place)
        if task is not None:
            at, task_id = task
            target = place.node.WhichOneof("target")
            require(getattr(place.node, str(target)).HasField("task_id"), at)
            check_identifier(task_id, at, RESOURCE_TYPE_TASK)
            wanted.setdefault(key(task_id), (place, at, task_id))
    found = {key(task.id): task for task in resolvers.tasks([i for _, _, i in wanted.values()])}
    for task_key, (place, at, task_id) in wanted.items():
        if task_key not in found:
            raise InvalidArgument(
                at, f"{place.label} runs {describe(task_id)}, which is not registered"
            )
        resolved.tasks[task_key] = found[task_key]
    for place in places:
        reference = workflow_reference(place)
        if reference is None:
            continue
        at, identifier, kind = reference
        check_identifier(identifier, at, kind)
        entity_key = key(identifier)
        if kind == RESOURCE_TYPE_WORKFLOW:
            if entity_key not in resolved.workflows:
                workflow = resolvers.workflow(identifier)
                if workflow is None:
                    _unregistered(identifier, registering, resolvers.pending, at, place.label)
                resolved.workflows[entity_key] = workflow
        elif entity_key not in resolved.launch_plans:
            launch_plan = resolvers.launch_plan(identifier)
            if launch_plan is None:
                _unregistered(identifier, registering, resolvers.pending, at, place.label)
            resolved.launch_plans[entity_key] = launch_plan
    return resolved


def _unregistered(
    identifier: Identifier,
    registering: Identifier | None,
    pending: PendingResolver,
    field: str,
    label: str,
) -> NoReturn:
    if registering is not None and pending(identifier) is not None:
        path = _path_to(identifier, key(registering), pending, set())
        if path is not None:
            chain = " -> ".join(describe(i) for i in [registering, *path])
            raise InvalidArgument(
                field,
                f"{label}: recursion between workflows: {chain}; a workflow cannot run "
                "itself, directly or through its subworkflows and launch plans",
            )
        raise InvalidArgument(
            field,
            f"{label} names {describe(identifier)}, which this registration creates later: "
            "register it before the workflow that uses it",
        )
    raise InvalidArgument(field, f"{label} names {describe(identifier)}, which is not registered")


def _path_to(
    start: Identifier, goal: bytes, pending: PendingResolver, seen: set[bytes]
) -> list[Identifier] | None:
    """References from ``start`` to ``goal`` through unstored entries (``start`` first)."""
    if key(start) == goal:
        return [start]
    seen.add(key(start))
    spec = pending(start)
    if spec is None:
        return None
    for step in _references(spec):
        if key(step) in seen:
            continue
        rest = _path_to(step, goal, pending, seen)
        if rest is not None:
            return [start, *rest]
    return None


def _references(spec: WorkflowSpec | LaunchPlanSpec) -> Iterator[Identifier]:
    if isinstance(spec, LaunchPlanSpec):
        yield spec.workflow_id
    else:
        yield from entity_references(spec.template)


@dataclass
class ClosureParts:
    tasks: list[Task]
    sub_workflows: list[Workflow]
    launch_plans: list[LaunchPlan]


def closure_parts(places: Sequence[Located], resolved: Resolved) -> ClosureParts:
    """Everything the nodes run at any depth, each once, in order of first use: a subworkflow
    brings the tasks, subworkflows and launch plans of its own closure."""
    tasks: dict[bytes, Task] = {}
    sub_workflows: dict[bytes, Workflow] = {}
    launch_plans: dict[bytes, LaunchPlan] = {}
    for place in places:
        task = task_reference(place)
        if task is not None:
            task_key = key(task[1])
            tasks.setdefault(task_key, resolved.tasks[task_key])
        reference = workflow_reference(place)
        if reference is None:
            continue
        entity_key = key(reference[1])
        if reference[2] == RESOURCE_TYPE_LAUNCH_PLAN:
            launch_plans.setdefault(entity_key, resolved.launch_plans[entity_key])
            continue
        workflow = resolved.workflows[entity_key]
        sub_workflows.setdefault(entity_key, workflow)
        for inner in workflow.closure.tasks:
            tasks.setdefault(key(inner.id), inner)
        for nested in workflow.closure.sub_workflows:
            sub_workflows.setdefault(key(nested.id), nested)
        for launch_plan in workflow.closure.launch_plans:
            launch_plans.setdefault(key(launch_plan.id), launch_plan)
    return ClosureParts(
        list(tasks.values()), list(sub_workflows.values()), list(launch_plans.values())
    )
