"""Child executions: a launch-plan node of one execution runs a registered launch plan as an
execution of its own, started through the same launch path as CreateExecution.

A child is named from the node execution that starts it (``<parent name>-<8 hex of
sha256(node id)>``, in the parent's project and domain), so asking again, from a retry, a
resumed agent or a poll, finds the same execution instead of starting another. A child
follows its parent: terminating the parent, or the parent finishing, terminates it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from graven.control_plane.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from graven.control_plane.persistence.execution_repository import (
    ExecutionKey,
    ExecutionRepository,
    StoredExecution,
)
from graven.control_plane.service.execution_inputs import resolve_inputs
from graven.control_plane.service.execution_workflows import WorkflowVersions
from graven.control_plane.service.executions import ExecutionService, checked_key
from graven.control_plane.service.identifiers import describe
from graven.control_plane.service.validation import check_identifier, require
from graven.shown import shown
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import RESOURCE_TYPE_LAUNCH_PLAN, NodeExecutionIdentifier
from graven.v1.literals_pb2 import LiteralMap

SUFFIX_HEX = 8
# What the execution name pattern allows.
MAX_NAME_LENGTH = 253


@dataclass(frozen=True)
class _Child:
    """A checked request: the child's key and everything its launch needs."""

    key: ExecutionKey
    parent: NodeExecutionIdentifier
    spec: pb.ExecutionSpec
    inputs: LiteralMap


def child_name(parent_name: str, node_id: str) -> str:
    """The name of the child execution that node ``node_id`` of ``parent_name`` starts; a
    valid execution name whatever the parent's name's length."""
    suffix = hashlib.sha256(node_id.encode()).hexdigest()[:SUFFIX_HEX]
    return f"{parent_name[: MAX_NAME_LENGTH - SUFFIX_HEX - 1]}-{suffix}"


class ChildExecutions:
    def __init__(
        self,
        executions: ExecutionService,
        repository: ExecutionRepository,
        workflows: WorkflowVersions,
    ) -> None:
        self._executions = executions
        self._repository = repository
        self._workflows = workflows

    def start(self, agent: str, request: ag.StartChildExecutionsRequest) -> list[pb.Execution]:
        """The child of each request, started unless it exists, in order. Every request is
        checked before any child is started, so a bad one starts nothing."""
        parents = {
            checked_key(asked.parent.execution_id, f"requests[{i}].parent.execution_id")
            for i, asked in enumerate(request.requests)
        }
        lost = self._repository.not_held(agent, parents)
        if lost:
            raise FailedPrecondition(
                f"agent {shown(agent)} does not hold the lease of execution(s) "
                f"{', '.join(map(str, lost))}: only the agent running an execution starts its "
                "child executions"
            )
        stored = {key: self._repository.get(key) for key in parents}
        children = [
            self._checked(asked, f"requests[{i}]", stored)
            for i, asked in enumerate(request.requests)
        ]
        return [self._get_or_launch(child, stored) for child in children]

    def parents_finished(self, parents: Sequence[tuple[ExecutionKey, int]]) -> None:
        """Executions that just reached a terminal phase: their unfinished children stop."""
        for key, phase in parents:
            name = pb.ExecutionPhase.Name(phase).removeprefix("EXECUTION_PHASE_")
            self._executions.terminate_children(key, f"parent execution {key} finished ({name})")

    def _checked(
        self,
        asked: ag.ChildExecutionRequest,
        at: str,
        stored: dict[ExecutionKey, StoredExecution | None],
    ) -> _Child:
        parent_key = ExecutionKey.of(asked.parent.execution_id)
        parent = stored[parent_key]
        # Held a moment ago, so it exists; a row is never deleted.
        assert parent is not None
        node_id = asked.parent.node_id
        require(bool(node_id), f"{at}.parent.node_id")
        workflow_id = parent.execution.spec.workflow_id
        resolved = self._workflows.paths(workflow_id).resolve(node_id)
        if resolved is None or not resolved.node.workflow_node.HasField("launch_plan_id"):
            raise InvalidArgument(
                f"{at}.parent.node_id",
                f"{describe(workflow_id)} has no launch-plan node {shown(node_id)}",
            )
        check_identifier(asked.launch_plan_id, f"{at}.launch_plan_id", RESOURCE_TYPE_LAUNCH_PLAN)
        pinned = resolved.node.workflow_node.launch_plan_id
        if asked.launch_plan_id != pinned:
            raise InvalidArgument(
                f"{at}.launch_plan_id",
                f"node {shown(node_id)} of {describe(workflow_id)} runs {describe(pinned)}, "
                f"not {describe(asked.launch_plan_id)}",
            )
        launch_plan = self._workflows.launch_plan(pinned, f"{at}.launch_plan_id")
        workflow = self._workflows.exact(launch_plan.spec.workflow_id)
        inputs = resolve_inputs(
            workflow.spec.template.interface,
            asked.inputs,
            target=describe(launch_plan.id),
            defaults=launch_plan.spec.default_inputs,
            fixed=launch_plan.spec.fixed_inputs,
            field=f"{at}.inputs",
        )
        identifier = NodeExecutionIdentifier(execution_id=parent.execution.id, node_id=node_id)
        spec = pb.ExecutionSpec(
            workflow_id=workflow.id,
            launch_plan_id=launch_plan.id,
            mode=pb.EXECUTION_MODE_CHILD,
            # A recompute asked of the parent holds for everything it runs.
            overwrite_cache=parent.execution.spec.overwrite_cache,
            parent_node_execution=identifier,
        )
        key = ExecutionKey(
            parent_key.project, parent_key.domain, child_name(parent_key.name, node_id)
        )
        return _Child(key, identifier, spec, inputs)

    def _get_or_launch(
        self, child: _Child, stored: dict[ExecutionKey, StoredExecution | None]
    ) -> pb.Execution:
        existing = self._repository.get(child.key)
        if existing is None:
            parent = stored[ExecutionKey.of(child.parent.execution_id)]
            assert parent is not None
            if parent.execution.closure.phase != pb.EXECUTION_PHASE_RUNNING:
                # Terminating: its children are being stopped; a new one would be orphaned.
                raise FailedPrecondition(
                    f"execution {ExecutionKey.of(child.parent.execution_id)} is terminating: "
                    "it starts no more child executions"
                )
            try:
                launched = self._executions.launch(
                    child.key.project, child.key.domain, child.key.name, child.spec, child.inputs
                )
            except AlreadyExists:
                # Another call for the same node won the name a moment ago.
                existing = self._repository.get(child.key)
                assert existing is not None
            else:
                self._stop_if_parent_stopped(child)
                return launched
        if existing.execution.spec.parent_node_execution != child.parent:
            raise FailedPrecondition(
                f"execution {child.key} exists and was not started by node "
                f"{shown(child.parent.node_id)} of {ExecutionKey.of(child.parent.execution_id)}"
            )
        return existing.execution

    def _stop_if_parent_stopped(self, child: _Child) -> None:
        """A terminate of the parent between its check above and the child's insert found no
        child to stop; reading the parent again after the insert closes that window (a
        terminate after this read finds the child)."""
        parent_key = ExecutionKey.of(child.parent.execution_id)
        parent = self._repository.get(parent_key)
        if parent is not None and parent.execution.closure.phase != pb.EXECUTION_PHASE_RUNNING:
            self._executions.terminate_children(
                parent_key, f"parent execution {parent_key} stopped as the child started"
            )
