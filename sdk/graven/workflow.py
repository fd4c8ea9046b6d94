"""``@workflow``: a graph of nodes, written as a Python function and compiled by tracing.

The body runs once with promises in place of its inputs; each node call (tasks, maps,
subworkflows, launch plans, gates, conditionals) records a node. The graph is compiled on
first use (``compile()``, done by the loader for every workflow it finds) rather than at
decoration, so a workflow may call tasks defined further down its module. Called outside a
workflow, a workflow runs its compiled graph locally, in this process, with the engine's
semantics (``graven.local_run``): it returns real values, which makes it testable without
any server. Called inside another workflow, it is a subworkflow node.

``on_failure`` names a task or workflow run when the workflow fails: its inputs are bound by
name to the workflow's inputs, and one input of type ``graven.WorkflowError`` (if it has one)
receives the error. ``failure_policy`` mirrors Flyte: "fail_immediately" stops starting
nodes at the first failure; "fail_after_executable_nodes_complete" first runs every node
that does not depend on a failed one.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, cast, overload

from graven.errors import GravenCompileError, GravenDefinitionError, GravenError, GravenTypeError
from graven.graph import topological_order
from graven.interface import PythonInterface, interface_of
from graven.promise import Handle, Promise
from graven.task import Task, entity_name
from graven.tracing import Trace, TracedNode, current_trace, tracing
from graven.types import literal_type_of, type_problem
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK, RESOURCE_TYPE_WORKFLOW, Identifier
from graven.v1.workflow_pb2 import (
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    FAILURE_POLICY_FAIL_IMMEDIATELY,
    Binding,
    BindingData,
    FailurePolicy,
    Node,
    NodeMetadata,
    TaskNode,
    WorkflowMetadata,
    WorkflowNode,
    WorkflowTemplate,
)
from graven.workflow_error import WorkflowError

if TYPE_CHECKING:
    from graven.launch_plan import LaunchPlan

P = ParamSpec("P")
R = TypeVar("R", covariant=True)

FAILURE_POLICIES: dict[str, FailurePolicy] = {
    "fail_immediately": FAILURE_POLICY_FAIL_IMMEDIATELY,
    "fail_after_executable_nodes_complete": FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
}
FAILURE_NODE_ID = "on-failure"
WORKFLOW_ERROR_TYPE = literal_type_of(WorkflowError)


@dataclass(frozen=True)
class CompiledWorkflow:
    """The traced graph. Its nodes name tasks, subworkflows and launch plans by name only:
    project, domain and version are filled in at registration (``graven.serialize``)."""

    template: WorkflowTemplate
    interface: PythonInterface
    # The top-level nodes in call order, and an order that respects their dependencies.
    nodes: tuple[TracedNode, ...]
    order: tuple[str, ...]
    failure: TracedNode | None

    def all_nodes(self) -> Iterator[TracedNode]:
        """Every node of this template (nested case nodes and the failure node included);
        a subworkflow's own nodes are in its own ``CompiledWorkflow``."""
        for traced in self.nodes:
            yield from traced.walk()
        if self.failure is not None:
            yield self.failure

    @property
    def tasks(self) -> tuple[Task[..., object], ...]:
        """The tasks the template runs, each once, in order of first use."""
        seen: dict[str, Task[..., object]] = {}
        for traced in self.all_nodes():
            if traced.task is not None:
                seen.setdefault(traced.task.name, traced.task)
        return tuple(seen.values())

    @property
    def sub_workflows(self) -> tuple[Workflow[..., object], ...]:
        seen: dict[str, Workflow[..., object]] = {}
        for traced in self.all_nodes():
            if traced.workflow is not None:
                seen.setdefault(traced.workflow.name, traced.workflow)
        return tuple(seen.values())

    @property
    def launch_plans(self) -> tuple[LaunchPlan, ...]:
        seen: dict[str, LaunchPlan] = {}
        for traced in self.all_nodes():
            if traced.launch_plan is not None:
                seen.setdefault(traced.launch_plan.name, traced.launch_plan)
        return tuple(seen.values())

    @property
    def failure_policy(self) -> FailurePolicy:
        return self.template.metadata.failure_policy


class Workflow(Generic[P, R]):
    """A registered-to-be workflow. ``name`` is ``module.function``."""

    def __init__(
        self,
        fn: Callable[P, R],
        on_failure: Task[..., object] | Workflow[..., object] | None = None,
        failure_policy: str | None = None,
    ) -> None:
        self.fn = fn
        self.name = entity_name(fn, "workflow")
        self.where = f"workflow {self.name!r}"
        self.interface: PythonInterface = interface_of(fn, self.where)
        if on_failure is not None and not isinstance(on_failure, Task | Workflow):
            raise GravenDefinitionError(
                f"{self.where}: on_failure must be a @task or a @workflow, got {on_failure!r}"
            )
        if failure_policy is not None and failure_policy not in FAILURE_POLICIES:
            raise GravenDefinitionError(
                f"{self.where}: failure_policy must be one of {', '.join(FAILURE_POLICIES)}, "
                f"got {failure_policy!r}"
            )
        self.on_failure = on_failure
        self.failure_policy = failure_policy
        self._compiled: CompiledWorkflow | None = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        trace = current_trace()
        if trace is not None:
            return cast(R, self._call_in(trace, args, kwargs))
        from graven.local_run import run_workflow

        try:
            bound = self.interface.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise GravenTypeError(f"{self.where}: {exc}") from None
        bound.apply_defaults()
        outputs = run_workflow(self.compile(), dict(bound.arguments))
        return cast(R, self.interface.assemble(outputs))

    def __repr__(self) -> str:
        return f"<Workflow {self.name}>"

    @property
    def description(self) -> str:
        return inspect.getdoc(self.fn) or ""

    def compile(self) -> CompiledWorkflow:
        """The graph, traced once; ``GravenCompileError`` names what is wrong and where."""
        if self._compiled is None:
            caller = current_trace()
            chain = caller.chain() if caller is not None else []
            if self.name in chain:
                cycle = " -> ".join([*chain[chain.index(self.name) :], self.name])
                raise GravenCompileError(
                    f"workflow {chain[0]!r}: recursion between workflows ({cycle}): a "
                    "workflow cannot call itself, directly or through others"
                )
            self._compiled = self._trace(caller)
        return self._compiled

    def _call_in(
        self, trace: Trace, args: Sequence[object], kwargs: Mapping[str, object]
    ) -> object:
        """A subworkflow node: this workflow inlined in ``trace``'s graph."""
        self.compile()
        node_id = trace.next_id(f"workflow {self.name}")
        where = f"{trace.where()}: node {node_id} (workflow {self.name!r})"
        try:
            arguments = self.interface.bind(args, kwargs)
        except TypeError as exc:
            raise GravenCompileError(f"{where}: {exc}") from None
        node = Node(
            id=node_id,
            metadata=NodeMetadata(name=self.fn.__name__),
            inputs=trace.bind_inputs(self.interface.inputs, arguments, where),
            workflow_node=WorkflowNode(
                sub_workflow_id=Identifier(resource_type=RESOURCE_TYPE_WORKFLOW, name=self.name)
            ),
        )
        traced = TracedNode(node, self.interface.output_set, f"workflow {self.name}", workflow=self)
        return trace.add(traced)

    def _trace(self, caller: Trace | None) -> CompiledWorkflow:
        trace = Trace(self.name, parent=caller)
        inputs = {
            p.name: Promise.workflow_input(trace, p.name, p.literal_type, p.python_type)
            for p in self.interface.inputs
        }
        with tracing(trace):
            try:
                result = cast(Callable[..., object], self.fn)(**inputs)
            except GravenError:
                raise
            except Exception as exc:
                raise GravenCompileError(
                    f"{self.where}: its body raised {type(exc).__name__}: {exc} while it was "
                    "traced; a workflow body may only call nodes and pass their outputs on"
                ) from exc
            failure = self._failure_node(trace)
        for check in trace.pending:
            problem = check()
            if problem is not None:
                raise GravenCompileError(problem)
        if not trace.nodes:
            raise GravenCompileError(f"{self.where}: calls no task; a workflow needs at least one")
        if not self.interface.outputs and result is not None and not isinstance(result, Handle):
            raise GravenCompileError(
                f"{self.where}: returns a value but its return type is None; annotate the "
                "return type to make it an output"
            )
        try:
            returned = self.interface.split(result)
        except GravenTypeError as exc:
            raise GravenCompileError(f"{self.where}: return value: {exc}") from None
        outputs = [
            Binding(
                name=p.name,
                binding=trace.bind(
                    returned[p.name], p.python_type, f"{self.where}: output {p.name!r}"
                ),
            )
            for p in self.interface.outputs
        ]
        template = WorkflowTemplate(
            interface=self.interface.typed_interface(),
            nodes=[traced.proto() for traced in trace.nodes],
            outputs=outputs,
        )
        if self.failure_policy is not None:
            template.metadata.CopyFrom(
                WorkflowMetadata(failure_policy=FAILURE_POLICIES[self.failure_policy])
            )
        if failure is not None:
            template.failure_node.CopyFrom(failure.proto())
        order = topological_order(template.nodes, self.where)
        compiled = CompiledWorkflow(
            template, self.interface, tuple(trace.nodes), tuple(order), failure
        )
        _check_unique_names(self.where, compiled)
        return compiled

    def _failure_node(self, trace: Trace) -> TracedNode | None:
        """The node ``on_failure`` runs as: its inputs bound by name to the workflow's inputs,
        and to the error (its one ``WorkflowError`` input)."""
        cleanup = self.on_failure
        if cleanup is None:
            return None
        where = f"{self.where}: on_failure {cleanup.name!r}"
        if isinstance(cleanup, Workflow):
            cleanup.compile()
        ours = {p.name: p for p in self.interface.inputs}
        inputs: list[Binding] = []
        for p in cleanup.interface.inputs:
            if p.literal_type == WORKFLOW_ERROR_TYPE:
                if any(b.binding.workflow_error for b in inputs):
                    raise GravenCompileError(f"{where}: takes more than one graven.WorkflowError")
                inputs.append(Binding(name=p.name, binding=BindingData(workflow_error=True)))
            elif p.name in ours:
                problem = type_problem(ours[p.name].literal_type, p.literal_type)
                if problem is not None:
                    raise GravenCompileError(f"{where}: input {p.name!r}: {problem}")
                inputs.append(Binding(name=p.name, binding=BindingData(workflow_input=p.name)))
            elif p.default is None:
                raise GravenCompileError(
                    f"{where}: input {p.name!r} is neither an input of the workflow (inputs: "
                    f"{', '.join(ours) or 'none'}) nor a graven.WorkflowError, and has no default"
                )
        metadata = NodeMetadata(name=cleanup.fn.__name__)
        node = Node(id=FAILURE_NODE_ID, metadata=metadata, inputs=inputs)
        if isinstance(cleanup, Task):
            node.task_node.CopyFrom(
                TaskNode(task_id=Identifier(resource_type=RESOURCE_TYPE_TASK, name=cleanup.name))
            )
            return TracedNode(node, cleanup.interface.output_set, cleanup.name, task=cleanup)
        node.workflow_node.CopyFrom(
            WorkflowNode(
                sub_workflow_id=Identifier(resource_type=RESOURCE_TYPE_WORKFLOW, name=cleanup.name)
            )
        )
        return TracedNode(
            node, cleanup.interface.output_set, f"workflow {cleanup.name}", workflow=cleanup
        )


def _check_unique_names(where: str, compiled: CompiledWorkflow) -> None:
    """Two different objects under one name would make the registered graph ambiguous (a
    module imported twice under different names, or a redefined function)."""
    by_name: dict[tuple[str, str], object] = {}
    for traced in compiled.all_nodes():
        for kind, ref in (
            ("tasks", traced.task),
            ("workflows", traced.workflow),
            ("launch plans", traced.launch_plan),
        ):
            if ref is None:
                continue
            other = by_name.setdefault((kind, ref.name), ref)
            if other is not ref:
                raise GravenCompileError(
                    f"{where}: two different {kind} are named {ref.name!r}; "
                    "was the module imported twice, or the function defined twice?"
                )


@overload
def workflow(fn: Callable[P, R], /) -> Workflow[P, R]: ...


@overload
def workflow(
    *,
    on_failure: Task[..., Any] | Workflow[..., Any] | None = None,
    failure_policy: str | None = None,
) -> Callable[[Callable[P, R]], Workflow[P, R]]: ...


def workflow(
    fn: Callable[P, R] | None = None,
    /,
    *,
    on_failure: Task[..., Any] | Workflow[..., Any] | None = None,
    failure_policy: str | None = None,
) -> Workflow[P, R] | Callable[[Callable[P, R]], Workflow[P, R]]:
    """Declare a workflow: ``@workflow``, or ``@workflow(on_failure=cleanup,
    failure_policy="fail_after_executable_nodes_complete")``."""

    def decorate(f: Callable[P, R]) -> Workflow[P, R]:
        if not callable(f):
            raise GravenDefinitionError(f"@workflow applies to a function, not {f!r}")
        return Workflow(f, on_failure=on_failure, failure_policy=failure_policy)

    if fn is not None:
        return decorate(fn)
    return decorate
