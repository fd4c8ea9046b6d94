"""Node executions and their attempts as rows, read and written a batch at a time.

One event batch or one watch update touches hundreds of nodes. Through the ORM's unit of
work that costs an object per row, a relationship load per node and a statement per changed
row; here a read is one query for the nodes and one for their attempts, and a write is one
executemany per kind of statement, all plain Core SQL that SQLite and PostgreSQL both accept.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    Table,
    bindparam,
    insert,
    select,
    update,
)

from graven.control_plane.persistence.execution_models import NodeAttemptRow, NodeExecutionRow
from graven.control_plane.persistence.proto_columns import (
    error_bytes,
    optional_datetime,
    optional_error,
    optional_timestamp,
)
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_TASK,
    ExecutionIdentifier,
    Identifier,
    NodeExecutionIdentifier,
)

NODES = cast(Table, NodeExecutionRow.__table__)
ATTEMPTS = cast(Table, NodeAttemptRow.__table__)
# Node ids per IN list: far below the bound-parameter limits of SQLite and PostgreSQL,
# however many nodes one batch names.
IN_LIST_SIZE = 500


def _reads(*where: ColumnElement[bool]) -> tuple[Select[Any], Select[Any]]:
    """The nodes ``where`` selects in row order, and their attempts in (node, attempt)
    order."""
    nodes = select(NODES).where(*where).order_by(NODES.c.id)
    attempts = (
        select(ATTEMPTS)
        .join(NODES, NODES.c.id == ATTEMPTS.c.node_execution_id)
        .where(*where)
        .order_by(ATTEMPTS.c.node_execution_id, ATTEMPTS.c.attempt)
    )
    return nodes, attempts


# Statements are built once: building one (and its cache key) costs more than running it.
_OF_EXECUTION = NODES.c.execution_id == bindparam("execution")
_CHANGED_READS = _reads(_OF_EXECUTION, NODES.c.revision > bindparam("changed_after"))
_NAMED_READS = _reads(_OF_EXECUTION, NODES.c.node_id.in_(bindparam("node_ids", expanding=True)))
_CHILD_READS = _reads(_OF_EXECUTION, NODES.c.parent_node_id == bindparam("parent"))
# The columns to set come with the parameters.
_UPDATE_NODE = update(NODES).where(NODES.c.id == bindparam("row_id"))
_INSERT_NODE = insert(NODES).returning(NODES.c.node_id, NODES.c.id)
_UPDATE_ATTEMPT = update(ATTEMPTS).where(ATTEMPTS.c.id == bindparam("row_id"))
_INSERT_ATTEMPT = insert(ATTEMPTS)


@dataclass
class NodeState:
    node: pb.NodeExecution
    # The attempt of the event that set ``node.phase``: with the phase, it orders events.
    attempt: int


@dataclass
class RecordedNode:
    """A node as read, with what a later write compares against and addresses."""

    row_id: int
    state: NodeState
    # attempt number -> (row id, column values)
    attempts: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)


def read_nodes(
    connection: Connection,
    execution_id: ExecutionIdentifier,
    execution_seq: int,
    *,
    node_ids: Collection[str] | None = None,
    changed_after: int = 0,
    parent: str | None = None,
) -> dict[str, RecordedNode]:
    """The recorded nodes of an execution in row order: those named in ``node_ids`` when
    given, else those nested directly in ``parent`` ("" the top level) when given, else
    those changed after the revision ``changed_after`` (every node by default: revisions
    start at 1)."""
    if node_ids is None and parent is not None:
        children = {"execution": execution_seq, "parent": parent}
        return _read(connection, execution_id, _CHILD_READS, children)
    if node_ids is None:
        changed = {"execution": execution_seq, "changed_after": changed_after}
        return _read(connection, execution_id, _CHANGED_READS, changed)
    ordered = sorted(set(node_ids))
    recorded: dict[str, RecordedNode] = {}
    for start in range(0, len(ordered), IN_LIST_SIZE):
        named = {"execution": execution_seq, "node_ids": ordered[start : start + IN_LIST_SIZE]}
        recorded.update(_read(connection, execution_id, _NAMED_READS, named))
    return recorded


def write_nodes(
    connection: Connection,
    execution_seq: int,
    changed: Iterable[NodeState],
    recorded: Mapping[str, RecordedNode],
    revision: int,
) -> None:
    """Write ``changed`` nodes under ``revision``: an update of the rows in ``recorded``, an
    insert of the others, and their attempts likewise (only those that differ)."""
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    states = list(changed)
    for state in states:
        values = _node_values(state, revision)
        found = recorded.get(state.node.id.node_id)
        if found is None:
            inserts.append({**values, "execution_id": execution_seq})
        else:
            updates.append({**values, "row_id": found.row_id})
    if updates:
        connection.execute(_UPDATE_NODE, updates)
    row_ids = {node_id: found.row_id for node_id, found in recorded.items()}
    if inserts:
        row_ids.update(
            (node_id, row_id) for node_id, row_id in connection.execute(_INSERT_NODE, inserts)
        )
    _write_attempts(connection, states, recorded, row_ids)


def _write_attempts(
    connection: Connection,
    states: Iterable[NodeState],
    recorded: Mapping[str, RecordedNode],
    row_ids: Mapping[str, int],
) -> None:
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for state in states:
        node_id = state.node.id.node_id
        found = recorded.get(node_id)
        before = found.attempts if found is not None else {}
        for attempt in state.node.attempts:
            values = _attempt_values(attempt)
            existing = before.get(attempt.attempt)
            if existing is None:
                inserts.append(
                    {**values, "node_execution_id": row_ids[node_id], "attempt": attempt.attempt}
                )
            elif existing[1] != values:
                updates.append({**values, "row_id": existing[0]})
    if updates:
        connection.execute(_UPDATE_ATTEMPT, updates)
    if inserts:
        connection.execute(_INSERT_ATTEMPT, inserts)


def _read(
    connection: Connection,
    execution_id: ExecutionIdentifier,
    reads: tuple[Select[Any], Select[Any]],
    params: Mapping[str, object],
) -> dict[str, RecordedNode]:
    nodes, attempts = reads
    recorded: dict[str, RecordedNode] = {}
    by_row: dict[int, RecordedNode] = {}
    for row in connection.execute(nodes, params):
        node = RecordedNode(row.id, NodeState(_node(execution_id, row), row.attempt))
        recorded[row.node_id] = by_row[row.id] = node
    if not recorded:
        return recorded
    for row in connection.execute(attempts, params):
        owner = by_row.get(row.node_execution_id)
        if owner is None:
            # Its node was recorded after the first read, by a batch that committed
            # meanwhile: the node comes with its attempts on the next read.
            continue
        values = _attempt_row_values(row)
        owner.attempts[row.attempt] = (row.id, values)
        owner.state.node.attempts.add(
            attempt=row.attempt,
            phase=values["phase"],
            started_at=optional_timestamp(values["started_at"]),
            finished_at=optional_timestamp(values["finished_at"]),
            error=optional_error(values["error"]),
        )
    return recorded


def _node(execution_id: ExecutionIdentifier, row: Row[Any]) -> pb.NodeExecution:
    node = pb.NodeExecution(
        id=NodeExecutionIdentifier(execution_id=execution_id, node_id=row.node_id),
        phase=row.phase,
        cache_status=row.cache_status,
        cache_key=row.cache_key,
        inputs_uri=row.inputs_uri,
        outputs_uri=row.outputs_uri,
        started_at=optional_timestamp(row.started_at),
        finished_at=optional_timestamp(row.finished_at),
        error=optional_error(row.error),
        output_hashes=row.output_hashes,
        parent_node_id=row.parent_node_id,
    )
    if row.child_name:
        node.child_execution_id.CopyFrom(
            ExecutionIdentifier(
                project=row.child_project or "", domain=row.child_domain or "", name=row.child_name
            )
        )
    if row.cache_key_components is not None:
        node.cache_key_components.ParseFromString(row.cache_key_components)
    if row.task_name:
        node.task_id.CopyFrom(
            Identifier(
                resource_type=RESOURCE_TYPE_TASK,
                project=row.task_project,
                domain=row.task_domain,
                name=row.task_name,
                version=row.task_version,
            )
        )
    if row.source_name:
        node.source_execution_id.CopyFrom(
            ExecutionIdentifier(
                project=row.source_project or "",
                domain=row.source_domain or "",
                name=row.source_name,
            )
        )
    return node


def _node_values(state: NodeState, revision: int) -> dict[str, Any]:
    node = state.node
    return {
        "node_id": node.id.node_id,
        "parent_node_id": node.parent_node_id,
        "task_project": node.task_id.project,
        "task_domain": node.task_id.domain,
        "task_name": node.task_id.name,
        "task_version": node.task_id.version,
        "phase": node.phase,
        "attempt": state.attempt,
        "cache_status": node.cache_status,
        "cache_key": node.cache_key,
        "cache_key_components": node.cache_key_components.SerializeToString(deterministic=True)
        if node.HasField("cache_key_components")
        else None,
        "output_hashes": dict(node.output_hashes) or None,
        "source_project": node.source_execution_id.project or None,
        "source_domain": node.source_execution_id.domain or None,
        "source_name": node.source_execution_id.name or None,
        "inputs_uri": node.inputs_uri,
        "outputs_uri": node.outputs_uri,
        "child_project": node.child_execution_id.project or None,
        "child_domain": node.child_execution_id.domain or None,
        "child_name": node.child_execution_id.name or None,
        "started_at": optional_datetime(node, "started_at"),
        "finished_at": optional_datetime(node, "finished_at"),
        "error": error_bytes(node),
        "revision": revision,
    }


def _attempt_values(attempt: pb.NodeAttempt) -> dict[str, Any]:
    return {
        "phase": attempt.phase,
        "started_at": optional_datetime(attempt, "started_at"),
        "finished_at": optional_datetime(attempt, "finished_at"),
        "error": error_bytes(attempt),
    }


def _attempt_row_values(row: Row[Any]) -> dict[str, Any]:
    return {
        "phase": row.phase,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "error": row.error,
    }
