"""``LaunchPlan``: a workflow with some inputs defaulted and some fixed, under its own name."""

from __future__ import annotations

from collections.abc import Mapping

from graven.errors import GravenDefinitionError, GravenTypeError, GravenValueError
from graven.literals import to_literal
from graven.names import name_problem
from graven.v1.identifier_pb2 import Identifier
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.workflow import Workflow


class LaunchPlan:
    """``default_inputs`` apply when a launch leaves them out; ``fixed_inputs`` always apply
    and a launch may not override them. Every value is checked against the workflow's
    interface now, so a typo fails on import."""

    def __init__(
        self,
        name: str,
        workflow: Workflow[..., object],
        default_inputs: Mapping[str, object] | None = None,
        fixed_inputs: Mapping[str, object] | None = None,
        description: str = "",
    ) -> None:
        where = f"launch plan {name!r}"
        problem = name_problem("name", name) if isinstance(name, str) else "name must be a str"
        if problem is not None:
            raise GravenDefinitionError(f"{where}: {problem}")
        if not isinstance(workflow, Workflow):
            raise GravenDefinitionError(f"{where}: expected a @workflow, got {workflow!r}")
        self.name = name
        self.workflow = workflow
        self.description = description
        self.where = f"{where} (workflow {workflow.name!r})"
        defaults = dict(default_inputs or {})
        fixed = dict(fixed_inputs or {})
        both = sorted(set(defaults) & set(fixed))
        if both:
            raise GravenDefinitionError(
                f"{self.where}: input {both[0]!r} is both a default and a fixed input"
            )
        self.default_inputs = self._literals("default", defaults)
        self.fixed_inputs = self._literals("fixed", fixed)

    def __repr__(self) -> str:
        return f"<LaunchPlan {self.name} of {self.workflow.name}>"

    def _literals(self, kind: str, values: Mapping[str, object]) -> dict[str, Literal]:
        inputs = {p.name: p for p in self.workflow.interface.inputs}
        literals: dict[str, Literal] = {}
        for name, value in values.items():
            if name not in inputs:
                raise GravenDefinitionError(
                    f"{self.where}: {kind} input {name!r} is not an input of the workflow "
                    f"(inputs: {', '.join(inputs) or 'none'})"
                )
            try:
                literals[name] = to_literal(value, inputs[name].python_type)
            except (GravenTypeError, GravenValueError) as exc:
                raise GravenDefinitionError(f"{self.where}: {kind} input {name!r}: {exc}") from None
        return literals

    def spec(self, workflow_id: Identifier) -> LaunchPlanSpec:
        return LaunchPlanSpec(
            workflow_id=workflow_id,
            default_inputs=LiteralMap(literals=self.default_inputs),
            fixed_inputs=LiteralMap(literals=self.fixed_inputs),
            description=self.description,
        )
