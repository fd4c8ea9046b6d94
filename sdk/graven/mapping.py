"""``graven.map``: a task run once per element of a list known only at run time.

    squares = graven.map(square, concurrency=4)(x=numbers)          # numbers: list[int]
    scaled = graven.map(functools.partial(scale, by=2.0))(x=values)

Which inputs are mapped is decided by type: a ``list[T]`` given to an input of type ``T`` is
mapped, a ``T`` is given to every element as it is (so are a partial's values). Several
mapped inputs are zipped (element i takes item i of each; they must be of one length). Each
task output ``o: T`` becomes ``o: list[T]`` in element order, or ``list[Optional[T]]`` when
``min_success_ratio`` < 1 lets elements fail (a failed element gives None).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any, Optional

from graven.errors import GravenCompileError, GravenDefinitionError
from graven.interface import Outputs, Parameter
from graven.promise import Promise
from graven.task import Task
from graven.tracing import Trace, TracedNode, current_trace
from graven.types import optional_of
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK, Identifier
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import ArrayNode, Binding, Node, NodeMetadata


class MapTask:
    """``task`` mapped over its list inputs; call it with the inputs, by keyword."""

    def __init__(
        self,
        task: Task[..., object],
        fixed: Mapping[str, object],
        concurrency: int,
        min_success_ratio: float,
    ) -> None:
        self.task = task
        self.fixed = dict(fixed)
        self.concurrency = concurrency
        self.min_success_ratio = min_success_ratio
        self.where = f"map of task {task.name!r}"

    def __repr__(self) -> str:
        return f"<MapTask {self.task.name}>"

    @property
    def outputs(self) -> Outputs:
        """Each task output as the list of the elements' values."""

        def listed(p: Parameter) -> Parameter:
            if self.min_success_ratio < 1:
                item_type: object = Optional[p.python_type]  # noqa: UP045 - a runtime type
                item_literal = optional_of(p.literal_type)
            else:
                item_type, item_literal = p.python_type, p.literal_type
            return Parameter(
                p.name,
                list[item_type],  # type: ignore[valid-type]
                LiteralType(collection_type=item_literal),
            )

        interface = self.task.interface
        return Outputs(tuple(listed(p) for p in interface.outputs), interface.return_shape)

    def __call__(self, **kwargs: object) -> Any:
        both = sorted(set(kwargs) & set(self.fixed))
        if both:
            raise GravenCompileError(
                f"{self.where}: input {both[0]!r} is already given by the partial"
            )
        trace = current_trace()
        if trace is None:
            from graven.local_run import run_map

            return run_map(self, {**self.fixed, **kwargs})
        return self._trace(trace, kwargs)

    def _trace(self, trace: Trace, kwargs: Mapping[str, object]) -> object:
        node_id = trace.next_id(f"map {self.task.name}")
        where = f"{trace.where()}: node {node_id} ({self.where})"
        try:
            arguments = self.task.interface.bind((), {**self.fixed, **kwargs})
        except TypeError as exc:
            raise GravenCompileError(f"{where}: {exc}") from None
        inputs: list[Binding] = []
        mapped: list[str] = []
        for name, value in arguments.items():
            tp = self.task.interface.input(name).python_type
            here = f"{where}: input {name!r}"
            if name in self.fixed:
                inputs.append(Binding(name=name, binding=trace.bind(value, tp, here)))
                continue
            try:
                binding = trace.bind(value, tp, here)
            except GravenCompileError as as_item:
                try:
                    binding = trace.bind(value, list[tp], here)  # type: ignore[valid-type]
                except GravenCompileError as as_list:
                    # Report the reading the user more likely meant: a list was to be mapped.
                    raise (as_list if _is_list(value) else as_item) from None
                mapped.append(name)
            inputs.append(Binding(name=name, binding=binding))
        if not mapped:
            raise GravenCompileError(
                f"{where}: maps over nothing: give at least one input as a list of the "
                "task's input type (fixed values go through functools.partial or as plain T)"
            )
        array = ArrayNode(
            task_id=Identifier(resource_type=RESOURCE_TYPE_TASK, name=self.task.name),
            mapped_inputs=mapped,
            concurrency=self.concurrency,
        )
        if self.min_success_ratio < 1:
            array.min_success_ratio = self.min_success_ratio
        node = Node(
            id=node_id,
            metadata=NodeMetadata(name=self.task.fn.__name__),
            inputs=inputs,
            array_node=array,
        )
        return trace.add(TracedNode(node, self.outputs, f"map {self.task.name}", task=self.task))


def _is_list(value: object) -> bool:
    if isinstance(value, Promise):
        return value.literal_type.HasField("collection_type")
    return isinstance(value, list)


# graven.map mirrors Flyte's map_task, under the name users reach for.
def map(
    target: Task[..., object] | functools.partial[Any],
    *,
    concurrency: int = 0,
    min_success_ratio: float = 1.0,
) -> MapTask:
    """Map ``target`` (a task, or ``functools.partial(task, k=fixed)``) over list inputs.

    ``concurrency``: elements running at once (0: as many as the cluster takes);
    ``min_success_ratio``: the share of elements that must succeed (failed ones give None).
    A local run (no workflow, or a workflow called as plain Python) runs the elements one
    after another.
    """
    fixed: dict[str, object] = {}
    task: object = target
    if isinstance(target, functools.partial):
        if target.args:
            raise GravenDefinitionError(
                "graven.map: give a partial's fixed values by keyword, e.g. "
                "functools.partial(task, by=2)"
            )
        fixed = dict(target.keywords)
        task = target.func
    if not isinstance(task, Task):
        raise GravenDefinitionError(
            f"graven.map: expected a @task (or a partial of one), got {task!r}"
        )
    where = f"graven.map({task.name})"
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 0:
        raise GravenDefinitionError(
            f"{where}: concurrency must be a non-negative int, got {concurrency!r}"
        )
    if (
        isinstance(min_success_ratio, bool)
        or not isinstance(min_success_ratio, int | float)
        or not math.isfinite(min_success_ratio)
        or not 0 <= min_success_ratio <= 1
    ):
        raise GravenDefinitionError(
            f"{where}: min_success_ratio must be a number from 0 to 1, got {min_success_ratio!r}"
        )
    inputs = {p.name for p in task.interface.inputs}
    unknown = sorted(set(fixed) - inputs)
    if unknown:
        raise GravenDefinitionError(f"{where}: the partial gives {unknown[0]!r}, not an input")
    return MapTask(task, fixed, concurrency, float(min_success_ratio))
