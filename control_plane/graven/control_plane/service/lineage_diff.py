"""Which nodes of two executions differ, and why: from their lineage steps alone, so two
executions compare the same after a reindex, even when their rows are gone."""

from __future__ import annotations

from collections.abc import Mapping

from graven.control_plane.service.lineage_graph import step_order
from graven.v1.identifier_pb2 import Identifier
from graven.v1.lineage_pb2 import LineageStep
from graven.v1.lineage_service_pb2 import (
    NODE_DIFFERENCE_CODE,
    NODE_DIFFERENCE_INPUTS,
    NODE_DIFFERENCE_MISSING,
    NODE_DIFFERENCE_OUTPUTS,
    NODE_DIFFERENCE_TASK_VERSION,
    DiffExecutionsResponse,
    NodeDiff,
)


def diff_steps(
    a: Mapping[str, LineageStep], b: Mapping[str, LineageStep]
) -> DiffExecutionsResponse:
    """Both executions' steps by node id ("" for their inputs): the nodes in the order they
    ran in ``a``, then those only ``b`` ran."""
    response = DiffExecutionsResponse(a_workflow_id=_workflow_id(a), b_workflow_id=_workflow_id(b))
    ordered = sorted(a.values(), key=step_order) + sorted(
        (step for node_id, step in b.items() if node_id not in a), key=step_order
    )
    for step in ordered:
        node_id = step.id.node_id
        if node_id:
            response.nodes.append(node_diff(node_id, a.get(node_id), b.get(node_id)))
    return response


def node_diff(node_id: str, a: LineageStep | None, b: LineageStep | None) -> NodeDiff:
    diff = NodeDiff(node_id=node_id)
    if a is not None:
        diff.a.CopyFrom(a)
    if b is not None:
        diff.b.CopyFrom(b)
    if a is None or b is None:
        diff.differences.append(NODE_DIFFERENCE_MISSING)
        return diff
    if a.task_id != b.task_id:
        diff.differences.append(NODE_DIFFERENCE_TASK_VERSION)
    if a.code_digest != b.code_digest:
        diff.differences.append(NODE_DIFFERENCE_CODE)
    diff.changed_inputs.extend(_changed(a.inputs, b.inputs))
    if diff.changed_inputs:
        diff.differences.append(NODE_DIFFERENCE_INPUTS)
    diff.changed_outputs.extend(_changed(a.outputs, b.outputs))
    if diff.changed_outputs:
        diff.differences.append(NODE_DIFFERENCE_OUTPUTS)
    return diff


def _changed(a: Mapping[str, str], b: Mapping[str, str]) -> list[str]:
    return [name for name in sorted(a.keys() | b.keys()) if a.get(name) != b.get(name)]


def _workflow_id(steps: Mapping[str, LineageStep]) -> Identifier:
    inputs = steps.get("")
    any_step = inputs if inputs is not None else min(steps.values(), key=step_order)
    return any_step.workflow_id
