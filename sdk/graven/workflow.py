"""``@workflow``: a graph of tasks, written as a Python function and compiled by tracing.

The body runs once with promises in place of its inputs; each task call records a node. The
graph is compiled on first use (``compile()``, done by the loader for every workflow it
finds) rather than at decoration, so a workflow may call tasks defined further down its
module. Called outside a workflow, a workflow is the plain function: its tasks run as plain
Python and it returns real values, which makes it testable without any server.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar, cast

from graven.errors import GravenCompileError, GravenDefinitionError, GravenError, GravenTypeError
from graven.interface import PythonInterface, interface_of
from graven.promise import WorkflowInput
from graven.task import Task, entity_name
from graven.tracing import Trace, TracedNode, current_trace, tracing
from graven.v1.workflow_pb2 import Binding, WorkflowTemplate

P = ParamSpec("P")
R = TypeVar("R", covariant=True)


@dataclass(frozen=True)
class CompiledWorkflow:
    """The traced graph. Its nodes name tasks by name only: project, domain and version are
    filled in at registration (``graven.serialize``)."""

    template: WorkflowTemplate
    nodes: tuple[TracedNode, ...]

    @property
    def tasks(self) -> tuple[Task[..., object], ...]:
        """The tasks the graph runs, each once, in order of first use."""
        seen: dict[str, Task[..., object]] = {}
        for traced in self.nodes:
            seen.setdefault(traced.task.name, traced.task)
        return tuple(seen.values())


class Workflow(Generic[P, R]):
    """A registered-to-be workflow. ``name`` is ``module.function``."""

    def __init__(self, fn: Callable[P, R]) -> None:
        self.fn = fn
        self.name = entity_name(fn, "workflow")
        self.where = f"workflow {self.name!r}"
        self.interface: PythonInterface = interface_of(fn, self.where)
        self._compiled: CompiledWorkflow | None = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        trace = current_trace()
        if trace is not None:
            raise GravenCompileError(
                f"workflow {trace.workflow_name!r}: calls workflow {self.name!r}, but "
                "subworkflows are not supported yet; call its tasks directly instead"
            )
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Workflow {self.name}>"

    @property
    def description(self) -> str:
        return inspect.getdoc(self.fn) or ""

    def compile(self) -> CompiledWorkflow:
        """The graph, traced once; ``GravenCompileError`` names what is wrong and where."""
        if self._compiled is None:
            self._compiled = self._trace()
        return self._compiled

    def _trace(self) -> CompiledWorkflow:
        trace = Trace(self.name)
        inputs = {
            p.name: WorkflowInput(trace, p.name, p.literal_type) for p in self.interface.inputs
        }
        with tracing(trace):
            try:
                result = cast(Callable[..., object], self.fn)(**inputs)
            except GravenError:
                raise
            except Exception as exc:
                raise GravenCompileError(
                    f"{self.where}: its body raised {type(exc).__name__}: {exc} while it was "
                    "traced; a workflow body may only call tasks and pass their outputs on"
                ) from exc
        if not trace.nodes:
            raise GravenCompileError(f"{self.where}: calls no task; a workflow needs at least one")
        if not self.interface.outputs and result is not None:
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
        _check_unique_tasks(self.where, trace.nodes)
        template = WorkflowTemplate(
            interface=self.interface.typed_interface(),
            nodes=[traced.node for traced in trace.nodes],
            outputs=outputs,
        )
        return CompiledWorkflow(template, tuple(trace.nodes))


def _check_unique_tasks(where: str, nodes: list[TracedNode]) -> None:
    """Two different task objects under one name would make the registered graph ambiguous
    (a module imported twice under different names, or a redefined function)."""
    by_name: dict[str, Task[..., object]] = {}
    for traced in nodes:
        other = by_name.setdefault(traced.task.name, traced.task)
        if other is not traced.task:
            raise GravenCompileError(
                f"{where}: two different tasks are named {traced.task.name!r}; "
                "was the module imported twice, or the function defined twice?"
            )


def workflow(fn: Callable[P, R]) -> Workflow[P, R]:
    """Declare a workflow: ``@workflow`` over a function whose body calls tasks."""
    if not callable(fn):
        raise GravenDefinitionError(f"@workflow applies to a function, not {fn!r}")
    return Workflow(fn)
