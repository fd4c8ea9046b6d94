"""Registration-time compilation: the checks a spec must pass and the closure derived from it.

Pure functions: referenced entities arrive through resolver callables, so the rules need no
database and serve every transport alike.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Iterable, Sequence

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.identifiers import describe
from graven.control_plane.service.interfaces import check_interface, check_literal
from graven.control_plane.service.validation import check_digest, check_identifier, require
from graven.literals import DURATION_MAX_SECONDS
from graven.types import describe_type, type_problem
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK, RESOURCE_TYPE_WORKFLOW, Identifier
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.launch_plan_pb2 import LaunchPlanClosure, LaunchPlanSpec
from graven.v1.task_pb2 import Task, TaskClosure, TaskSpec
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import (
    Binding,
    BindingData,
    Node,
    Workflow,
    WorkflowClosure,
    WorkflowSpec,
)

# The registered tasks among the ids asked for (one call for a whole workflow).
TaskResolver = Callable[[Sequence[Identifier]], Iterable[Task]]
WorkflowResolver = Callable[[Identifier], Workflow | None]

NODE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
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
            raise InvalidArgument(f"{at}.code.{name}", f"{value!r} is not a dotted Python name")
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
            raise InvalidArgument(f"{field}.cache.ignore_inputs[{i}]", f"no input named {name!r}")


# --- workflows ------------------------------------------------------------------------------


def compile_workflow(
    spec: WorkflowSpec, resolve_tasks: TaskResolver, field: str = "spec"
) -> WorkflowClosure:
    """Check the graph and return its closure: every referenced task and a topological order."""
    at = f"{field}.template"
    require(spec.HasField("template"), at)
    template = spec.template
    require(template.HasField("interface"), f"{at}.interface")
    check_interface(template.interface, f"{at}.interface")
    if not template.nodes:
        raise InvalidArgument(f"{at}.nodes", "a workflow needs at least one node")
    _check_node_ids(template.nodes, f"{at}.nodes")
    tasks = _resolve_tasks(template.nodes, resolve_tasks, f"{at}.nodes")
    graph = _Graph(template.interface.inputs)
    for node in template.nodes:
        graph.add(node.id, tasks[_key(node.task_node.task_id)])
    upstream: dict[str, set[str]] = {}
    for i, node in enumerate(template.nodes):
        node_at = f"{at}.nodes[{i}]"
        task = tasks[_key(node.task_node.task_id)]
        owner = f"node {node.id!r} ({describe(task.id)})"
        upstream[node.id] = graph.bind(
            node.inputs, task.spec.template.interface.inputs, f"{node_at}.inputs", owner, "input"
        )
        for j, other in enumerate(node.upstream_node_ids):
            if other not in graph.outputs:
                raise InvalidArgument(f"{node_at}.upstream_node_ids[{j}]", f"no node {other!r}")
            upstream[node.id].add(other)
    graph.bind(
        template.outputs, template.interface.outputs, f"{at}.outputs", "the workflow", "output"
    )
    return WorkflowClosure(
        tasks=list(tasks.values()),
        node_order=_topological_order([n.id for n in template.nodes], upstream, f"{at}.nodes"),
    )


def _check_node_ids(nodes: Sequence[Node], field: str) -> None:
    first_index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if not NODE_ID_PATTERN.fullmatch(node.id):
            raise InvalidArgument(
                f"{field}[{i}].id", f"node id {node.id!r} must match {NODE_ID_PATTERN.pattern}"
            )
        if node.id in first_index:
            raise InvalidArgument(
                f"{field}[{i}].id",
                f"duplicate node id {node.id!r} (also {field}[{first_index[node.id]}])",
            )
        first_index[node.id] = i


def _key(identifier: Identifier) -> bytes:
    return identifier.SerializeToString(deterministic=True)


def _resolve_tasks(
    nodes: Sequence[Node], resolve_tasks: TaskResolver, field: str
) -> dict[bytes, Task]:
    """Every task the nodes run, looked up in one call, in order of first use."""
    wanted: dict[bytes, tuple[int, Identifier]] = {}
    for i, node in enumerate(nodes):
        if node.WhichOneof("target") != "task_node":
            raise InvalidArgument(f"{field}[{i}]", f"node {node.id!r} names no target (task_node)")
        at = f"{field}[{i}].task_node.task_id"
        require(node.task_node.HasField("task_id"), at)
        check_identifier(node.task_node.task_id, at, RESOURCE_TYPE_TASK)
        wanted.setdefault(_key(node.task_node.task_id), (i, node.task_node.task_id))
    found = {_key(task.id): task for task in resolve_tasks([id_ for _, id_ in wanted.values()])}
    for key, (i, task_id) in wanted.items():
        if key not in found:
            raise InvalidArgument(
                f"{field}[{i}].task_node.task_id",
                f"node {nodes[i].id!r} runs {describe(task_id)}, which is not registered",
            )
    return {key: found[key] for key in wanted}


class _Graph:
    """What a binding may refer to: the workflow's inputs and every node's outputs."""

    def __init__(self, inputs: Sequence[Variable]) -> None:
        self.input_types = {v.name: v.type for v in inputs}
        self.outputs: dict[str, dict[str, LiteralType]] = {}

    def add(self, node_id: str, task: Task) -> None:
        self.outputs[node_id] = {v.name: v.type for v in task.spec.template.interface.outputs}

    def bind(
        self,
        bindings: Sequence[Binding],
        targets: Sequence[Variable],
        field: str,
        owner: str,
        noun: str,
    ) -> set[str]:
        """Check that ``bindings`` bind each target once, unless it has a default; return the
        nodes they read from."""
        by_name = {v.name: v for v in targets}
        first_index: dict[str, int] = {}
        upstream: set[str] = set()
        for j, binding in enumerate(bindings):
            at = f"{field}[{j}]"
            target = by_name.get(binding.name)
            if target is None:
                raise InvalidArgument(
                    f"{at}.name",
                    f"{owner} has no {noun} {binding.name!r}; its {noun}s are {_names(targets)}",
                )
            if binding.name in first_index:
                raise InvalidArgument(
                    f"{at}.name",
                    f"{noun} {binding.name!r} of {owner} is bound twice "
                    f"(also {field}[{first_index[binding.name]}])",
                )
            first_index[binding.name] = j
            require(binding.HasField("binding"), f"{at}.binding")
            what = f"{noun} {binding.name!r} of {owner}"
            upstream |= self._check(binding.binding, target.type, f"{at}.binding", what)
        missing = [
            v.name for v in targets if v.name not in first_index and not v.HasField("default")
        ]
        if missing:
            listed = ", ".join(
                f"{name!r} ({describe_type(by_name[name].type)})" for name in missing
            )
            raise InvalidArgument(field, f"{owner}: missing {noun} binding(s) for {listed}")
        return upstream

    def _check(self, data: BindingData, target: LiteralType, field: str, what: str) -> set[str]:
        kind = data.WhichOneof("value")
        if kind == "literal":
            check_literal(data.literal, target, f"{field}.literal", what)
            return set()
        if kind == "promise":
            node_id, output = data.promise.node_id, data.promise.output_name
            outputs = self.outputs.get(node_id)
            if outputs is None:
                raise InvalidArgument(f"{field}.promise.node_id", f"{what}: no node {node_id!r}")
            source = outputs.get(output)
            if source is None:
                raise InvalidArgument(
                    f"{field}.promise.output_name",
                    f"{what}: node {node_id!r} has no output {output!r}; "
                    f"its outputs are {_names_of(outputs)}",
                )
            _check_assignable(source, target, f"{field}.promise", what, f"{node_id}.{output}")
            return {node_id}
        if kind == "workflow_input":
            name = data.workflow_input
            source = self.input_types.get(name)
            if source is None:
                raise InvalidArgument(
                    f"{field}.workflow_input",
                    f"{what}: the workflow has no input {name!r}; "
                    f"its inputs are {_names_of(self.input_types)}",
                )
            _check_assignable(source, target, f"{field}.workflow_input", what, f"input {name!r}")
            return set()
        if kind == "collection":
            element = _part(target, "collection_type")
            if element is None:
                raise InvalidArgument(
                    f"{field}.collection", f"{what}: a list cannot bind to {describe_type(target)}"
                )
            upstream: set[str] = set()
            for k, item in enumerate(data.collection.bindings):
                upstream |= self._check(item, element, f"{field}.collection.bindings[{k}]", what)
            return upstream
        if kind == "map":
            value_type = _part(target, "map_value_type")
            if value_type is None:
                raise InvalidArgument(
                    f"{field}.map", f"{what}: a dict cannot bind to {describe_type(target)}"
                )
            upstream = set()
            for key, item in sorted(data.map.bindings.items()):
                upstream |= self._check(item, value_type, f"{field}.map.bindings[{key}]", what)
            return upstream
        raise InvalidArgument(
            field, f"{what}: set one of literal, promise, workflow_input, collection or map"
        )


def _check_assignable(
    source: LiteralType, target: LiteralType, field: str, what: str, origin: str
) -> None:
    problem = type_problem(source, target)
    if problem is not None:
        raise InvalidArgument(field, f"{what} cannot take {origin}: {problem}")


def _part(target: LiteralType, kind: str) -> LiteralType | None:
    """The element (or value) type a list (or dict) binding fills: ``target``'s own, or that
    of the first union variant of that kind (``Optional[list[int]]`` takes a list)."""
    if target.WhichOneof("type") == kind:
        part: LiteralType = getattr(target, kind)
        return part
    if target.WhichOneof("type") == "union_type":
        for variant in target.union_type.variants:
            found = _part(variant, kind)
            if found is not None:
                return found
    return None


def _names(variables: Sequence[Variable]) -> str:
    return ", ".join(repr(v.name) for v in variables) or "none"


def _names_of(named: dict[str, LiteralType]) -> str:
    return ", ".join(repr(name) for name in named) or "none"


def _topological_order(node_ids: list[str], upstream: dict[str, set[str]], field: str) -> list[str]:
    """Kahn's algorithm, breaking ties by declaration order so the order is deterministic."""
    position = {node_id: i for i, node_id in enumerate(node_ids)}
    downstream: dict[str, list[str]] = {node_id: [] for node_id in node_ids}
    waiting = {node_id: len(upstream[node_id]) for node_id in node_ids}
    for node_id in node_ids:
        for other in upstream[node_id]:
            downstream[other].append(node_id)
    ready = [position[n] for n in node_ids if waiting[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node_id = node_ids[heapq.heappop(ready)]
        order.append(node_id)
        for other in downstream[node_id]:
            waiting[other] -= 1
            if waiting[other] == 0:
                heapq.heappush(ready, position[other])
    if len(order) < len(node_ids):
        cycle = _find_cycle({n for n in node_ids if waiting[n] > 0}, upstream, position)
        raise InvalidArgument(field, "the nodes form a cycle: " + " -> ".join(cycle))
    return order


def _find_cycle(
    stuck: set[str], upstream: dict[str, set[str]], position: dict[str, int]
) -> list[str]:
    """One cycle among the nodes Kahn's algorithm could not place, in data-flow order from
    its first-declared node. Every stuck node waits on a stuck node, so walking upstream
    must come back to a node already seen."""
    first = position.__getitem__
    node_id = min(stuck, key=first)
    path: list[str] = []
    seen: dict[str, int] = {}
    while node_id not in seen:
        seen[node_id] = len(path)
        path.append(node_id)
        node_id = min(upstream[node_id] & stuck, key=first)
    cycle = path[seen[node_id] :][::-1]
    start = cycle.index(min(cycle, key=first))
    cycle = cycle[start:] + cycle[:start]
    return [*cycle, cycle[0]]


# --- launch plans ---------------------------------------------------------------------------


def compile_launch_plan(
    spec: LaunchPlanSpec, resolve_workflow: WorkflowResolver, field: str = "spec"
) -> LaunchPlanClosure:
    """Check the inputs against the workflow's and return the interface a launch sees."""
    at = f"{field}.workflow_id"
    require(spec.HasField("workflow_id"), at)
    check_identifier(spec.workflow_id, at, RESOURCE_TYPE_WORKFLOW)
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
                    f"{describe(spec.workflow_id)} has no input {name!r}; "
                    f"its inputs are {_names(interface.inputs)}",
                )
            check_literal(literals[name], variable.type, item_at)
    both = sorted(set(defaults) & set(fixed))
    if both:
        raise InvalidArgument(
            f"{field}.fixed_inputs.literals[{both[0]}]",
            f"input {both[0]!r} is also in default_inputs: an input is either fixed or defaulted",
        )
    expected = TypedInterface(outputs=interface.outputs)
    for variable in interface.inputs:
        if variable.name in fixed:
            continue
        launched = expected.inputs.add()
        launched.CopyFrom(variable)
        if variable.name in defaults:
            launched.default.CopyFrom(defaults[variable.name])
    return LaunchPlanClosure(expected_interface=expected)
