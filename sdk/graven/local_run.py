"""Running a compiled workflow in this process, with the engine's semantics.

A workflow called as plain Python runs its *graph*, not its body: so a branch takes the case
``graven.conditions.evaluate`` picks on the operands' literals, an attribute path is
followed by ``graven.attributes.follow_path`` on the value's literal, a map runs its task
once per element and lets elements fail as ``min_success_ratio`` allows, a subworkflow runs
inline, a launch plan runs its workflow with its default and fixed inputs, and a failed
workflow runs its ``on_failure`` node with the error before the error is raised again. Only
waiting differs: a sleep returns at once, elements run one after another, and gates take
their values from ``graven.local_signals``.

Values travel between nodes as Python objects (as a task returns them); they become
literals only where the engine's rule works on literals (conditions and attribute paths).
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from graven.attributes import follow_path
from graven.conditions import evaluate
from graven.errors import GravenError, GravenTypeError, GravenValueError
from graven.graph import dependencies
from graven.literals import to_literal, to_python
from graven.local_signals import local_signal
from graven.promise import python_part_type
from graven.tracing import TracedNode, item_type_of
from graven.v1.literals_pb2 import Literal
from graven.v1.workflow_pb2 import (
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    BindingData,
    Node,
)
from graven.workflow_error import WorkflowError

if TYPE_CHECKING:
    from graven.launch_plan import LaunchPlan
    from graven.mapping import MapTask
    from graven.task import Task
    from graven.workflow import CompiledWorkflow


@dataclass
class Origins:
    """Where each exception of a run was first raised, as a nested node execution id
    ("n2/n3", "n4/17", "n5/n0"): the innermost node records it first."""

    found: dict[int, tuple[BaseException, str]] = field(default_factory=dict)

    def note(self, error: BaseException, node_path: str) -> None:
        # The exception is kept with its id so the id cannot be reused while it is here.
        self.found.setdefault(id(error), (error, node_path))

    def of(self, error: BaseException) -> str:
        return self.found.get(id(error), (error, ""))[1]


def run_workflow(
    compiled: CompiledWorkflow,
    inputs: Mapping[str, object],
    prefix: str = "",
    origins: Origins | None = None,
) -> dict[str, object]:
    """The workflow's outputs by name; raises what its first failed node raised."""
    run = _Run(compiled, inputs, prefix, origins or Origins())
    try:
        return run.run()
    except Exception as exc:
        if compiled.failure is None:
            raise
        error = WorkflowError(
            node_id=run.origins.of(exc),
            kind="USER",
            type=type(exc).__name__,
            message=str(exc),
            traceback="".join(traceback.format_exception(exc)),
        )
        run.error = error
        run.run_node(compiled.failure, f"{prefix}{compiled.failure.id}")
        raise


def run_map(map_task: MapTask, arguments: Mapping[str, object]) -> object:
    """A map called outside any workflow: inputs are mapped by the same rule as in a trace
    (a value that fits the input's type is given to every element, a list of them is
    mapped)."""
    interface = map_task.task.interface
    fixed: dict[str, object] = {}
    mapped: dict[str, list[object]] = {}
    for name, value in arguments.items():
        if name not in {p.name for p in interface.inputs}:
            raise GravenTypeError(f"{map_task.where}: unknown input {name!r}")
        tp = interface.input(name).python_type
        if name in map_task.fixed or _fits(value, tp):
            fixed[name] = value
        elif isinstance(value, list) and all(_fits(v, tp) for v in value):
            mapped[name] = value
        else:
            raise GravenTypeError(
                f"{map_task.where}: input {name!r}: expected a value or a list of values of "
                f"the input's type, got {value!r}"
            )
    outputs = map_elements(map_task.task, fixed, mapped, map_task.min_success_ratio, "", Origins())
    return map_task.outputs.assemble(outputs)


def _fits(value: object, tp: object) -> bool:
    try:
        to_literal(value, tp)
    except (GravenTypeError, GravenValueError):
        return False
    return True


def map_elements(
    task: Task[..., object],
    fixed: Mapping[str, object],
    mapped: Mapping[str, Sequence[object]],
    min_success_ratio: float,
    node_path: str,
    origins: Origins,
) -> dict[str, object]:
    """Each task output as the list of its elements' values, a failed element giving None;
    the failure that leaves fewer than ``min_success_ratio`` of them able to succeed is
    raised at once."""
    lengths = {name: len(values) for name, values in mapped.items()}
    if len(set(lengths.values())) > 1:
        raise GravenValueError(
            f"map of task {task.name!r}: the mapped inputs have different lengths ("
            + ", ".join(f"{name}: {n}" for name, n in lengths.items())
            + ")"
        )
    count = next(iter(lengths.values()), 0)
    outputs: dict[str, list[object]] = {p.name: [] for p in task.interface.outputs}
    failures: list[BaseException] = []
    for i in range(count):
        arguments = {**fixed, **{name: values[i] for name, values in mapped.items()}}
        try:
            split = task.interface.split(task.fn(**arguments))
        except Exception as exc:
            origins.note(exc, f"{node_path}/{i}")
            failures.append(exc)
            # As on the engine: once the ratio can no longer be met, no element more runs.
            if count - len(failures) < min_success_ratio * count:
                raise failures[0] from None
            split = dict.fromkeys(outputs)
        for name, value in split.items():
            outputs[name].append(value)
    return dict(outputs)


class _Run:
    """One workflow's graph being run; ``values`` holds each node output and workflow input
    with its Python type, keyed by (node id, output name) ("" for the workflow's inputs)."""

    def __init__(
        self,
        compiled: CompiledWorkflow,
        inputs: Mapping[str, object],
        prefix: str,
        origins: Origins,
    ) -> None:
        self.compiled = compiled
        self.prefix = prefix
        self.origins = origins
        self.error: WorkflowError | None = None
        self.values: dict[tuple[str, str], tuple[object, object]] = {
            ("", p.name): (inputs[p.name], p.python_type) for p in compiled.interface.inputs
        }

    def run(self) -> dict[str, object]:
        by_id = {traced.id: traced for traced in self.compiled.nodes}
        waits = {node.id: dependencies(node) for node in self.compiled.template.nodes}
        keep_going = (
            self.compiled.failure_policy == FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
        )
        failed: set[str] = set()
        first: Exception | None = None
        for node_id in self.compiled.order:
            traced = by_id[node_id]
            if waits[node_id] & failed:
                failed.add(node_id)
                continue
            try:
                self.run_node(traced, f"{self.prefix}{node_id}")
            except Exception as exc:
                if not keep_going:
                    raise
                failed.add(node_id)
                first = first or exc
        if first is not None:
            raise first
        return {
            binding.name: self.resolve(binding.binding, p.python_type)
            for binding, p in zip(
                self.compiled.template.outputs, self.compiled.interface.outputs, strict=True
            )
        }

    # --- values ---------------------------------------------------------------------------

    def _source(self, binding: BindingData) -> tuple[object, object]:
        """The value a promise or workflow input binding takes, its path followed."""
        if binding.WhichOneof("value") == "promise":
            key = (binding.promise.node_id, binding.promise.output_name)
        else:
            key = ("", binding.workflow_input)
        value, tp = self.values[key]
        if not binding.attr_path:
            return value, tp
        part_type = python_part_type(tp, binding.attr_path)
        part = follow_path(to_literal(value, tp), binding.attr_path)
        return to_python(part, part_type), part_type

    def resolve(self, binding: BindingData, tp: object) -> object:
        which = binding.WhichOneof("value")
        if which == "literal":
            return to_python(binding.literal, tp)
        if which == "collection":
            item = item_type_of(tp, list)
            return [self.resolve(b, item) for b in binding.collection.bindings]
        if which == "map":
            item = item_type_of(tp, dict)
            return {k: self.resolve(b, item) for k, b in binding.map.bindings.items()}
        if which == "workflow_error":
            return self.error
        return self._source(binding)[0]

    def literal(self, binding: BindingData) -> Literal:
        """A condition's operand as a literal, the form ``evaluate`` compares."""
        if binding.WhichOneof("value") == "literal":
            return binding.literal
        value, tp = self._source(binding)
        return to_literal(value, tp)

    def _arguments(self, node: Node, params: Mapping[str, object]) -> dict[str, object]:
        return {b.name: self.resolve(b.binding, params[b.name]) for b in node.inputs}

    def _store(self, traced: TracedNode, outputs: Mapping[str, object]) -> None:
        for p in traced.outputs.params:
            self.values[(traced.id, p.name)] = (outputs[p.name], p.python_type)

    # --- nodes ----------------------------------------------------------------------------

    def run_node(self, traced: TracedNode, node_path: str) -> None:
        try:
            self._store(traced, self._outputs(traced, node_path))
        except Exception as exc:
            self.origins.note(exc, node_path)
            raise

    def _outputs(self, traced: TracedNode, node_path: str) -> Mapping[str, object]:
        node = traced.node
        target = node.WhichOneof("target")
        if traced.branch is not None:
            return self._branch(traced, node_path)
        if target == "gate_node":
            return self._gate(traced)
        if traced.task is not None:
            task = traced.task
            types = {p.name: p.python_type for p in task.interface.inputs}
            arguments = self._arguments(node, types)
            if target == "array_node":
                mapped = set(node.array_node.mapped_inputs)
                ratio = (
                    node.array_node.min_success_ratio
                    if node.array_node.HasField("min_success_ratio")
                    else 1.0
                )
                # A mapped input is bound to a list (the trace checked its type).
                lists = {k: cast(list[object], v) for k, v in arguments.items() if k in mapped}
                return map_elements(
                    task,
                    {k: v for k, v in arguments.items() if k not in mapped},
                    lists,
                    ratio,
                    node_path,
                    self.origins,
                )
            return task.interface.split(task.fn(**arguments))
        if traced.workflow is not None:
            sub = traced.workflow
            types = {p.name: p.python_type for p in sub.interface.inputs}
            arguments = self._arguments(node, types)
            return run_workflow(
                sub.compile(),
                _with_defaults(sub.interface.signature, arguments),
                f"{node_path}/",
                self.origins,
            )
        assert traced.launch_plan is not None
        plan = traced.launch_plan
        types = {p.name: p.python_type for p in plan.workflow.interface.inputs}
        # A child execution: its node ids are its own, so its failures count as this node's.
        return run_launch_plan(plan, self._arguments(node, types))

    def _branch(self, traced: TracedNode, node_path: str) -> Mapping[str, object]:
        branch = traced.branch
        assert branch is not None
        taken = branch.else_node
        for case in branch.cases:
            if evaluate(case.condition, self.literal):
                taken = case.node
                break
        else:
            if branch.else_fail is not None:
                raise GravenError(
                    f"conditional {branch.name!r} (node {node_path}): {branch.else_fail}"
                )
        if taken is None:
            return {}
        self.run_node(taken, f"{node_path}/{taken.id}")
        return {p.name: self.values[(taken.id, p.name)][0] for p in traced.outputs.params}

    def _gate(self, traced: TracedNode) -> Mapping[str, object]:
        gate = traced.node.gate_node
        which = gate.WhichOneof("condition")
        if which == "sleep":
            return {}
        name = gate.signal.signal_id if which == "signal" else gate.approve.signal_id
        given, value = local_signal(name)
        if not given:
            raise GravenError(
                f"gate {name!r} (node {self.prefix}{traced.id}) waits for a signal: give its "
                f"value locally with graven.local_signals({{{name!r}: ...}})"
            )
        if which == "signal":
            tp = traced.outputs.params[0].python_type
            try:
                to_literal(value, tp)
            except (GravenTypeError, GravenValueError) as exc:
                raise GravenTypeError(f"signal {name!r}: {exc}") from None
            return {"o0": value}
        if not isinstance(value, bool):
            raise GravenTypeError(f"approval {name!r}: expected a bool, got {value!r}")
        if not value:
            raise GravenError(f"approval {name!r} (node {self.prefix}{traced.id}) was rejected")
        passed = self._arguments(traced.node, {"value": traced.outputs.params[0].python_type})
        return {"o0": passed["value"]}


def _with_defaults(
    signature: inspect.Signature, arguments: Mapping[str, object]
) -> dict[str, object]:
    bound = signature.bind(**arguments)
    bound.apply_defaults()
    return dict(bound.arguments)


def run_launch_plan(plan: LaunchPlan, arguments: Mapping[str, object]) -> dict[str, object]:
    """The launch plan's workflow run with its defaults, ``arguments`` and its fixed inputs."""
    types = {p.name: p.python_type for p in plan.workflow.interface.inputs}
    values = {name: to_python(lit, types[name]) for name, lit in plan.default_inputs.items()}
    values.update(arguments)
    values.update({name: to_python(lit, types[name]) for name, lit in plan.fixed_inputs.items()})
    return run_workflow(
        plan.workflow.compile(), _with_defaults(plan.workflow.interface.signature, values)
    )
