"""Each node kind's checks and the outputs it gives (the contract in workflow.proto):

- task: the task's outputs;
- branch: its case nodes' outputs, which must be the same names and types when the branch
  has an else (a node or a failure); without one it may run nothing and has no outputs;
- map: each task output ``o: T`` as ``o: list[T]`` (``list[Optional[T]]`` when
  min_success_ratio < 1);
- workflow: the subworkflow's outputs, or those of the launch plan's workflow;
- gate: a sleep none; a signal ``o0`` of its type; an approval ``o0`` of the approved value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from google.protobuf.duration_pb2 import Duration

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.compiler_conditions import check_expression, check_reachable
from graven.control_plane.service.compiler_references import Resolved, key
from graven.control_plane.service.compiler_scope import Outputs, Scope, names
from graven.control_plane.service.compiler_walk import Located, case_places, each_node
from graven.control_plane.service.identifiers import describe
from graven.control_plane.service.interfaces import check_type
from graven.literals import DURATION_MAX_SECONDS
from graven.names import name_problem
from graven.shown import shown
from graven.types import describe_type, optional_of
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import Workflow


class NodeCompiler:
    """Checks nodes whose upstream nodes are already in the scope, and returns their
    outputs. Signal ids are collected across every node it sees: they must be unique in a
    workflow, since a signal is keyed by execution and signal id."""

    def __init__(self, scope: Scope, resolved: Resolved) -> None:
        self._scope = scope
        self._resolved = resolved
        self._signals: dict[str, str] = {}
        self._kinds: dict[str, Callable[[Located, bool], Outputs]] = {
            "task_node": self._task,
            "branch_node": self._branch,
            "array_node": self._map,
            "workflow_node": self._workflow,
            "gate_node": self._gate,
        }

    def compile(self, place: Located, failure: bool = False) -> Outputs:
        """``failure``: the node is the failure node, which binds the workflow's error."""
        for j, other in enumerate(place.node.upstream_node_ids):
            self._scope.check_node_id(other, f"{place.field}.upstream_node_ids[{j}]", place.label)
        return self._kinds[str(place.node.WhichOneof("target"))](place, failure)

    def _bind(
        self, place: Located, interface: TypedInterface, owner: str, failure: bool
    ) -> Outputs:
        self._scope.bind(
            place.node.inputs,
            interface.inputs,
            f"{place.field}.inputs",
            owner,
            "input",
            failure=failure,
        )
        return {v.name: v.type for v in interface.outputs}

    def _task(self, place: Located, failure: bool) -> Outputs:
        task = self._resolved.tasks[key(place.node.task_node.task_id)]
        owner = f"{place.label} ({describe(task.id)})"
        return self._bind(place, task.spec.template.interface, owner, failure)

    def _workflow(self, place: Located, failure: bool) -> Outputs:
        workflow_node = place.node.workflow_node
        if workflow_node.WhichOneof("reference") == "sub_workflow_id":
            workflow = self._resolved.workflows[key(workflow_node.sub_workflow_id)]
            owner = f"{place.label} ({describe(workflow.id)})"
            # An inlined workflow's gates wait in this execution, among this one's signals.
            for signal_id, gate in inlined_signals(workflow):
                self._claim_signal(
                    signal_id,
                    f"{place.field}.workflow_node.sub_workflow_id",
                    f"{owner}, through its gate {gate}",
                )
            return self._bind(place, workflow.spec.template.interface, owner, failure)
        launch_plan = self._resolved.launch_plans[key(workflow_node.launch_plan_id)]
        owner = f"{place.label} ({describe(launch_plan.id)})"
        return self._bind(place, launch_plan.closure.expected_interface, owner, failure)

    def _map(self, place: Located, failure: bool) -> Outputs:
        array = place.node.array_node
        at = f"{place.field}.array_node"
        task = self._resolved.tasks[key(array.task_id)]
        interface = task.spec.template.interface
        inputs = {v.name for v in interface.inputs}
        if not array.mapped_inputs:
            raise InvalidArgument(
                f"{at}.mapped_inputs", f"{place.label}: a map needs at least one mapped input"
            )
        mapped: dict[str, int] = {}
        for k, name in enumerate(array.mapped_inputs):
            if name not in inputs:
                raise InvalidArgument(
                    f"{at}.mapped_inputs[{k}]",
                    f"{place.label}: {describe(task.id)} has no input {shown(name)}; its inputs "
                    f"are {names(interface.inputs)}",
                )
            if name in mapped:
                raise InvalidArgument(
                    f"{at}.mapped_inputs[{k}]",
                    f"{place.label}: input {shown(name)} is mapped twice "
                    f"(also mapped_inputs[{mapped[name]}])",
                )
            mapped[name] = k
        optional = False
        if array.HasField("min_success_ratio"):
            ratio = array.min_success_ratio
            # NaN fails the comparison too.
            if not 0 <= ratio <= 1:
                raise InvalidArgument(
                    f"{at}.min_success_ratio",
                    f"{place.label}: {ratio} is not a share of elements between 0 and 1",
                )
            optional = ratio < 1
        # A mapped input takes a list of the task's input type, and has no default: a
        # default is one element, not a list.
        lifted = TypedInterface(
            inputs=[
                Variable(name=v.name, type=LiteralType(collection_type=v.type))
                if v.name in mapped
                else v
                for v in interface.inputs
            ]
        )
        over = ", ".join(repr(name) for name in array.mapped_inputs)
        self._bind(place, lifted, f"{place.label} (maps {describe(task.id)} over {over})", failure)
        return {
            v.name: LiteralType(collection_type=optional_of(v.type) if optional else v.type)
            for v in interface.outputs
        }

    def _branch(self, place: Located, failure: bool) -> Outputs:
        node, label = place.node, place.label
        at = f"{place.field}.branch_node"
        branch = node.branch_node
        if node.inputs:
            raise InvalidArgument(
                f"{place.field}.inputs",
                f"{label}: a branch node takes no inputs; its conditions and case nodes carry "
                "their own bindings",
            )
        if not branch.cases:
            raise InvalidArgument(f"{at}.cases", f"{label}: a branch needs at least one case")
        for k, case in enumerate(branch.cases):
            case_at = f"{at}.cases[{k}]"
            if not case.HasField("condition"):
                raise InvalidArgument(f"{case_at}.condition", f"{label}: case {k} has no condition")
            check_expression(
                case.condition, self._scope, f"{case_at}.condition", f"{label}, case {k}"
            )
            if not case.HasField("then_node"):
                raise InvalidArgument(f"{case_at}.then_node", f"{label}: case {k} runs no node")
        otherwise = branch.WhichOneof("otherwise")
        if otherwise == "else_fail" and not branch.else_fail.strip():
            raise InvalidArgument(
                f"{at}.else_fail", f"{label}: the else fails the branch and needs a message"
            )
        check_reachable(branch, at, label)
        given = [(inner, self.compile(inner)) for _, inner in case_places(place)]
        if otherwise is None:
            return {}
        first, outputs = given[0]
        for inner, other in given[1:]:
            if other != outputs:
                raise InvalidArgument(
                    inner.field,
                    f"{label}: the outputs of {inner.label} ({_listed(other)}) are not those "
                    f"of {first.label} ({_listed(outputs)}); every case of a branch with an "
                    "else gives the same output names and types",
                )
        return outputs

    def _gate(self, place: Located, failure: bool) -> Outputs:
        node, label = place.node, place.label
        gate = node.gate_node
        at = f"{place.field}.gate_node"
        if gate.HasField("timeout"):
            _check_duration(gate.timeout, f"{at}.timeout", label)
        condition = gate.WhichOneof("condition")
        if condition is None:
            raise InvalidArgument(at, f"{label}: a gate needs one of sleep, signal or approve")
        if condition != "approve" and node.inputs:
            raise InvalidArgument(
                f"{place.field}.inputs", f"{label}: a {condition} gate takes no inputs"
            )
        if condition == "sleep":
            _check_duration(gate.sleep, f"{at}.sleep", label)
            return {}
        signal = gate.signal if condition == "signal" else gate.approve
        self._check_signal_id(signal.signal_id, f"{at}.{condition}.signal_id", label)
        if condition == "signal":
            if not gate.signal.HasField("type"):
                raise InvalidArgument(
                    f"{at}.signal.type", f"{label}: a signal needs the type of its value"
                )
            check_type(gate.signal.type, f"{at}.signal.type")
            return {"o0": gate.signal.type}
        if len(node.inputs) != 1 or node.inputs[0].name != "value":
            raise InvalidArgument(
                f"{place.field}.inputs",
                f"{label}: an approval gate takes one input, 'value' (the value approved)",
            )
        data = node.inputs[0].binding
        value_at = f"{place.field}.inputs[0].binding"
        what = f"input 'value' of {label}"
        if data.WhichOneof("value") not in ("promise", "workflow_input"):
            raise InvalidArgument(value_at, f"{what}: approve a promise or a workflow input")
        return {"o0": self._scope.source_type(data, value_at, what)[0]}

    def _check_signal_id(self, signal_id: str, field: str, label: str) -> None:
        # The SDK's rule for a gate's name, which is its signal id.
        problem = name_problem("name", signal_id)
        if problem is not None:
            raise InvalidArgument(field, f"{label}: signal {problem}")
        self._claim_signal(signal_id, field, label)

    def _claim_signal(self, signal_id: str, field: str, label: str) -> None:
        first = self._signals.get(signal_id)
        if first is not None:
            raise InvalidArgument(
                field,
                f"{label}: signal id {shown(signal_id)} is also waited for at {first}; a signal "
                "is set once per execution, so each gate needs its own",
            )
        self._signals[signal_id] = field


def inlined_signals(workflow: Workflow) -> Iterator[tuple[str, str]]:
    """The signal ids the gates of ``workflow`` wait for, each with its gate's name, through
    the workflows it inlines at any depth (launch plans run as child executions, with
    signals of their own)."""
    inlined = {key(sub.id): sub for sub in workflow.closure.sub_workflows}

    def walk(current: Workflow) -> Iterator[tuple[str, str]]:
        for place in each_node(current.spec.template, ""):
            node = place.node
            target = node.WhichOneof("target")
            if target == "gate_node":
                condition = node.gate_node.WhichOneof("condition")
                if condition in ("signal", "approve"):
                    gate = f"{shown(node.id)} in {describe(current.id)}"
                    yield getattr(node.gate_node, condition).signal_id, gate
            elif target == "workflow_node" and node.workflow_node.HasField("sub_workflow_id"):
                yield from walk(inlined[key(node.workflow_node.sub_workflow_id)])

    return walk(workflow)


def _check_duration(duration: Duration, field: str, label: str) -> None:
    if not (0 <= duration.seconds <= DURATION_MAX_SECONDS and 0 <= duration.nanos < 10**9):
        raise InvalidArgument(
            field, f"{label}: {duration.seconds}s {duration.nanos}ns is not a duration ≥ 0"
        )


def _listed(outputs: Outputs) -> str:
    return ", ".join(f"{name}: {describe_type(t)}" for name, t in outputs.items()) or "none"
