"""``LaunchPlan``: a workflow with some inputs defaulted and some fixed, under its own name.

Called inside a workflow, a launch plan is a node: a child execution of the registered
version, waited for (``WorkflowNode.launch_plan_id``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from graven.errors import (
    GravenCompileError,
    GravenDefinitionError,
    GravenTypeError,
    GravenValueError,
)
from graven.literals import to_literal
from graven.names import name_problem
from graven.notifications import Email, Webhook
from graven.schedules import Cron, FixedRate
from graven.tracing import TracedNode, current_trace
from graven.v1.identifier_pb2 import RESOURCE_TYPE_LAUNCH_PLAN, Identifier
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.workflow_pb2 import Node, NodeMetadata, WorkflowNode
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
        schedule: Cron | FixedRate | None = None,
        notifications: Sequence[Webhook | Email] = (),
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
        self.schedule = self._checked_schedule(schedule)
        for notification in notifications:
            if not isinstance(notification, Webhook | Email):
                raise GravenDefinitionError(
                    f"{self.where}: notifications are graven.Webhook or graven.Email, "
                    f"got {notification!r}"
                )
        self.notifications = list(notifications)

    def __repr__(self) -> str:
        return f"<LaunchPlan {self.name} of {self.workflow.name}>"

    def _checked_schedule(self, schedule: Cron | FixedRate | None) -> Cron | FixedRate | None:
        """The kickoff input must be a datetime input the launch may set."""
        if schedule is not None and not isinstance(schedule, Cron | FixedRate):
            raise GravenDefinitionError(
                f"{self.where}: schedule must be a Cron or a FixedRate, got {schedule!r}"
            )
        kickoff = schedule.kickoff_input if schedule is not None else ""
        if kickoff:
            inputs = {p.name: p for p in self.workflow.interface.inputs}
            if kickoff not in inputs or inputs[kickoff].python_type is not datetime:
                raise GravenDefinitionError(
                    f"{self.where}: kickoff_input {kickoff!r} is not a datetime input of the "
                    "workflow"
                )
            if kickoff in self.fixed_inputs:
                raise GravenDefinitionError(f"{self.where}: kickoff_input {kickoff!r} is fixed")
        return schedule

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

    def __call__(self, **kwargs: object) -> Any:
        """Inside a workflow: a node that starts a child execution of this launch plan and
        waits for it (inputs by keyword; fixed inputs cannot be given). Outside: its workflow
        run locally with the defaults, ``kwargs`` and the fixed inputs."""
        workflow = self.workflow
        trace = current_trace()
        error = GravenTypeError if trace is None else GravenCompileError
        where = self.where if trace is None else f"{trace.where()}: {self.where}"
        inputs = {p.name: p for p in workflow.interface.inputs}
        for name in kwargs:
            if name not in inputs:
                raise error(
                    f"{where}: unknown input {name!r} (inputs: {', '.join(inputs) or 'none'})"
                )
            if name in self.fixed_inputs:
                raise error(f"{where}: input {name!r} is fixed by the launch plan")
        missing = [
            name
            for name, p in inputs.items()
            if p.default is None
            and name not in kwargs
            and name not in self.default_inputs
            and name not in self.fixed_inputs
        ]
        if missing:
            raise error(f"{where}: input {missing[0]!r} is missing and has no default")
        if trace is None:
            from graven.local_run import run_launch_plan

            return workflow.interface.assemble(run_launch_plan(self, kwargs))
        workflow.compile()
        node_id = trace.next_id(f"launch plan {self.name}")
        where = f"{trace.where()}: node {node_id} ({self.where})"
        node = Node(
            id=node_id,
            metadata=NodeMetadata(name=self.name),
            inputs=trace.bind_inputs(workflow.interface.inputs, kwargs, where),
            workflow_node=WorkflowNode(
                launch_plan_id=Identifier(resource_type=RESOURCE_TYPE_LAUNCH_PLAN, name=self.name)
            ),
        )
        traced = TracedNode(
            node, workflow.interface.output_set, f"launch plan {self.name}", launch_plan=self
        )
        return trace.add(traced)

    def spec(self, workflow_id: Identifier) -> LaunchPlanSpec:
        return LaunchPlanSpec(
            workflow_id=workflow_id,
            default_inputs=LiteralMap(literals=self.default_inputs),
            fixed_inputs=LiteralMap(literals=self.fixed_inputs),
            description=self.description,
            schedule=None if self.schedule is None else self.schedule.proto(),
            notifications=[notification.proto() for notification in self.notifications],
        )
