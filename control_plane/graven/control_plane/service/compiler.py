"""Registration-time compilation: the checks a spec must pass and the closure derived from it.

Pure functions: referenced entities arrive through resolver callables, so the rules need no
database and serve every transport alike. A workflow is compiled in passes, each in its own
module: the structure of every node at any depth (compiler_walk: ids unique across depths,
targets, the failure node's shape), the entities referenced (compiler_references: resolved,
recursion told from an entry out of order), the order of the top-level nodes from the ids
they name (compiler_order), then each node's types in that order (compiler_nodes, with
compiler_scope for bindings and attribute paths and compiler_conditions for branches).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.compiler_nodes import NodeCompiler
from graven.control_plane.service.compiler_order import topological_order
from graven.control_plane.service.compiler_references import (
    LaunchPlanResolver,
    PendingResolver,
    Resolvers,
    TaskResolver,
    WorkflowResolver,
    closure_parts,
    resolve,
)
from graven.control_plane.service.compiler_scope import Scope, names
from graven.control_plane.service.compiler_walk import (
    FAILURE_NODE_ID,
    NODE_ID_PATTERN,
    Located,
    each_node,
    named_nodes,
)
from graven.control_plane.service.identifiers import describe
from graven.control_plane.service.interfaces import check_interface, check_literal
from graven.control_plane.service.notifications import check_notifications
from graven.control_plane.service.schedules import check_schedule
from graven.control_plane.service.validation import check_digest, check_identifier, require
from graven.literals import DURATION_MAX_SECONDS
from graven.shown import shown
from graven.v1.identifier_pb2 import RESOURCE_TYPE_WORKFLOW, Identifier
from graven.v1.interface_pb2 import TypedInterface
from graven.v1.launch_plan_pb2 import LaunchPlanClosure, LaunchPlanSpec
from graven.v1.task_pb2 import TaskClosure, TaskSpec
from graven.v1.workflow_pb2 import FailurePolicy, WorkflowClosure, WorkflowSpec

__all__ = [
    "NODE_ID_PATTERN",
    "LaunchPlanResolver",
    "PendingResolver",
    "Resolvers",
    "TaskResolver",
    "WorkflowResolver",
    "compile_launch_plan",
    "compile_task",
    "compile_workflow",
]

DOTTED_NAME_PATTERN = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


# --- tasks ----------------------------------------------------------------------------------


def compile_task(spec: TaskSpec, field: str = "spec") -> TaskClosure:
    """Check the spec; a task's closure holds nothing beyond what the registry adds."""
    at = f"{field}.template"
    require(spec.HasField("template"), at)
    template = spec.template
    require(template.HasField("interface"), f"{at}.interface")
    check_interface(template.interface, f"{at}.interface")
    require(template.HasField("code"), f"{at}.code")
    code = template.code
    check_digest(code.bundle_digest, f"{at}.code.bundle_digest")
    for name in ("module", "function"):
        value = getattr(code, name)
        if not DOTTED_NAME_PATTERN.fullmatch(value):
            raise InvalidArgument(
                f"{at}.code.{name}", f"{shown(value)} is not a dotted Python name"
            )
    require(bool(code.code_digest), f"{at}.code.code_digest")
    _check_metadata(spec, f"{at}.metadata")
    return TaskClosure()


def _check_metadata(spec: TaskSpec, field: str) -> None:
    metadata = spec.template.metadata
    timeout = metadata.timeout
    if not (0 <= timeout.seconds <= DURATION_MAX_SECONDS and 0 <= timeout.nanos < 10**9):
        raise InvalidArgument(
            f"{field}.timeout", f"{timeout.seconds}s {timeout.nanos}ns is not a duration ≥ 0"
        )
    resources = metadata.resources
    amounts = {
        "cpus": resources.cpus,
        "gpus": resources.gpus,
        "memory_bytes": float(resources.memory_bytes),
        **{f"custom[{name}]": value for name, value in sorted(resources.custom.items())},
    }
    for name, amount in amounts.items():
        # NaN fails the comparison too.
        if not 0 <= amount < math.inf:
            raise InvalidArgument(
                f"{field}.resources.{name}", f"{amount} is not a finite amount ≥ 0"
            )
    inputs = {v.name for v in spec.template.interface.inputs}
    for i, name in enumerate(metadata.cache.ignore_inputs):
        if name not in inputs:
            raise InvalidArgument(
                f"{field}.cache.ignore_inputs[{i}]", f"no input named {shown(name)}"
            )


# --- workflows ------------------------------------------------------------------------------


def compile_workflow(
    spec: WorkflowSpec,
    resolvers: Resolvers,
    field: str = "spec",
    registering: Identifier | None = None,
) -> WorkflowClosure:
    """Check the graph and return its closure: everything it runs at any depth and the
    order of its top-level nodes. ``registering`` is the workflow's own id, to tell
    recursion from a reference to an entry registered later in the same request."""
    at = f"{field}.template"
    require(spec.HasField("template"), at)
    template = spec.template
    require(template.HasField("interface"), f"{at}.interface")
    check_interface(template.interface, f"{at}.interface")
    if not template.nodes:
        raise InvalidArgument(f"{at}.nodes", "a workflow needs at least one node")
    policy = template.metadata.failure_policy
    if policy not in FailurePolicy.values():
        raise InvalidArgument(
            f"{at}.metadata.failure_policy",
            f"{policy} is not a failure policy; use one of {', '.join(FailurePolicy.keys())}",
        )
    places = list(each_node(template, at))
    hidden = _check_structure(places, f"{at}.failure_node")
    resolved = resolve(places, resolvers, registering)
    # The order comes first, from the ids the nodes name, so that each node is type-checked
    # after every node it reads from.
    top_ids = [node.id for node in template.nodes]
    known = set(top_ids)
    upstream = {node.id: named_nodes(node) & known for node in template.nodes}
    order = topological_order(top_ids, upstream, f"{at}.nodes")
    scope = Scope(template.interface.inputs, known, hidden)
    compiler = NodeCompiler(scope, resolved)
    top = {place.node.id: place for place in places if place.branch is None}
    for node_id in order:
        scope.outputs[node_id] = compiler.compile(top[node_id])
    scope.bind(
        template.outputs, template.interface.outputs, f"{at}.outputs", "the workflow", "output"
    )
    if template.HasField("failure_node"):
        compiler.compile(places[-1], failure=True)
    parts = closure_parts(places, resolved)
    return WorkflowClosure(
        tasks=parts.tasks,
        node_order=order,
        sub_workflows=parts.sub_workflows,
        launch_plans=parts.launch_plans,
    )


def _check_structure(places: Sequence[Located], failure_field: str) -> dict[str, str]:
    """Ids (unique across every depth), targets and the failure node's shape; returns the
    branch each case node is nested in."""
    first: dict[str, str] = {}
    hidden: dict[str, str] = {}
    for place in places:
        node, at = place.node, place.field
        if not NODE_ID_PATTERN.fullmatch(node.id):
            raise InvalidArgument(
                f"{at}.id", f"node id {shown(node.id)} must match {NODE_ID_PATTERN.pattern}"
            )
        if node.id in first:
            raise InvalidArgument(
                f"{at}.id", f"duplicate node id {shown(node.id)} (also {first[node.id]})"
            )
        first[node.id] = at
        failure = at == failure_field
        if failure != (node.id == FAILURE_NODE_ID):
            raise InvalidArgument(
                f"{at}.id",
                f"the failure node's id is {shown(FAILURE_NODE_ID)}, not {shown(node.id)}"
                if failure
                else f"node id {shown(FAILURE_NODE_ID)} is reserved for the failure node",
            )
        target = node.WhichOneof("target")
        if target is None:
            raise InvalidArgument(
                at,
                f"{place.label} names no target: set one of task_node, branch_node, "
                "array_node, workflow_node or gate_node",
            )
        if failure:
            _check_failure_node(place)
        if place.branch is not None:
            hidden[node.id] = place.branch
    return hidden


def _check_failure_node(place: Located) -> None:
    node = place.node
    target = node.WhichOneof("target")
    if not (
        target == "task_node"
        or (
            target == "workflow_node"
            and node.workflow_node.WhichOneof("reference") == "sub_workflow_id"
        )
    ):
        raise InvalidArgument(
            f"{place.field}.{target}",
            f"{place.label} runs a task (task_node) or a subworkflow "
            "(workflow_node.sub_workflow_id), not a "
            + ("launch plan" if target == "workflow_node" else target.replace("_", " ")),
        )
    if node.upstream_node_ids:
        raise InvalidArgument(
            f"{place.field}.upstream_node_ids",
            f"{place.label} runs once the workflow has failed, after no particular node",
        )


# --- launch plans ---------------------------------------------------------------------------


def compile_launch_plan(
    spec: LaunchPlanSpec, resolve_workflow: WorkflowResolver, field: str = "spec"
) -> LaunchPlanClosure:
    """Check the inputs against the workflow's and return the interface a launch sees."""
    at = f"{field}.workflow_id"
    require(spec.HasField("workflow_id"), at)
    check_identifier(spec.workflow_id, at, RESOURCE_TYPE_WORKFLOW)
    check_notifications(spec.notifications, f"{field}.notifications")
    workflow = resolve_workflow(spec.workflow_id)
    if workflow is None:
        raise InvalidArgument(at, f"{describe(spec.workflow_id)} is not registered")
    interface = workflow.spec.template.interface
    inputs = {v.name: v for v in interface.inputs}
    defaults = spec.default_inputs.literals
    fixed = spec.fixed_inputs.literals
    for map_name, literals in (("default_inputs", defaults), ("fixed_inputs", fixed)):
        for name in sorted(literals):
            item_at = f"{field}.{map_name}.literals[{name}]"
            variable = inputs.get(name)
            if variable is None:
                raise InvalidArgument(
                    item_at,
                    f"{describe(spec.workflow_id)} has no input {shown(name)}; "
                    f"its inputs are {names(interface.inputs)}",
                )
            check_literal(literals[name], variable.type, item_at)
    both = sorted(set(defaults) & set(fixed))
    if both:
        raise InvalidArgument(
            f"{field}.fixed_inputs.literals[{both[0]}]",
            f"input {shown(both[0])} is also in default_inputs: an input is either fixed or "
            "defaulted",
        )
    expected = TypedInterface(outputs=interface.outputs)
    for variable in interface.inputs:
        if variable.name in fixed:
            continue
        launched = expected.inputs.add()
        launched.CopyFrom(variable)
        if variable.name in defaults:
            launched.default.CopyFrom(defaults[variable.name])
    if spec.HasField("schedule"):
        # Checked against what a launch may set: a scheduled launch sets only the kickoff.
        check_schedule(spec.schedule, expected, f"{field}.schedule")
    return LaunchPlanClosure(expected_interface=expected)
