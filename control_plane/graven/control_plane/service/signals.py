"""Signals: the typed values gates wait for (``wait_for_input``) and approvals (a bool).

An agent's WaitSignals creates a gate's signal the first time it is asked about (that first
wait fixes its type, node and deadline) and answers its state; a person sets it once through
SetSignal. Setting the value it already holds is a no-op, so a retried call succeeds;
another value, or any value after the deadline, is refused. Signals are mutable state: they
live in their own table, apart from the immutable specs and the executions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from graven.control_plane.errors import FailedPrecondition, InvalidArgument, NotFound
from graven.control_plane.persistence.execution_repository import (
    ExecutionKey,
    ExecutionRepository,
)
from graven.control_plane.persistence.proto_columns import to_datetime
from graven.control_plane.persistence.signal_repository import (
    SignalCursor,
    SignalRepository,
    SignalWait,
)
from graven.control_plane.service.execution_workflows import WorkflowVersions
from graven.control_plane.service.executions import checked_key
from graven.control_plane.service.paging import decode_page_token, page_size, paginate
from graven.control_plane.service.validation import checked_time, require
from graven.literals import literal_hash, literal_matches_type, nested_hash_path, sealed
from graven.shown import shown
from graven.types import describe_type
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import signal_service_pb2 as ss
from graven.v1.identifier_pb2 import Identifier
from graven.v1.literals_pb2 import Literal
from graven.v1.signal_pb2 import Signal, SignalIdentifier

# Signal ids are gate names and set_by a user name: free text within a column's width.
MAX_TEXT_LENGTH = 253

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SignalService:
    def __init__(
        self,
        signals: SignalRepository,
        executions: ExecutionRepository,
        workflows: WorkflowVersions,
        clock: Clock = utc_now,
    ) -> None:
        self._signals = signals
        self._executions = executions
        self._workflows = workflows
        self._clock = clock

    # --- people ---------------------------------------------------------------------------

    def set_signal(self, request: ss.SetSignalRequest) -> ss.SetSignalResponse:
        key, signal_id = _checked_id(request.id, "id")
        require(request.HasField("value"), "value")
        _check_text(request.set_by, "set_by", required=False)
        waiting = self._existing(key, signal_id)
        value = _checked_value(request.value, waiting)
        now = self._clock()
        outcome = self._signals.set(key, signal_id, value, request.set_by, now)
        if outcome is None:
            raise NotFound(_nobody_waits(key, signal_id))
        signal, changed = outcome
        if changed or (signal.HasField("value") and signal.value == value):
            return ss.SetSignalResponse(signal=signal)
        if signal.HasField("value"):
            raise FailedPrecondition(
                f"signal {_describe(key, signal_id)} is already set (by "
                f"{signal.set_by or 'someone'}) to another value; a signal is set once"
            )
        raise FailedPrecondition(
            f"signal {_describe(key, signal_id)} can no longer be set: its deadline "
            f"{to_datetime(signal.deadline).isoformat()} has passed"
        )

    def get_signal(self, request: ss.GetSignalRequest) -> ss.GetSignalResponse:
        key, signal_id = _checked_id(request.id, "id")
        return ss.GetSignalResponse(signal=self._existing(key, signal_id))

    def list_signals(self, request: ss.ListSignalsRequest) -> ss.ListSignalsResponse:
        key = checked_key(request.execution_id, "execution_id")
        self._execution_exists(key)
        size = page_size(request.page_size)
        query = ("signals", *key)
        after = _cursor(decode_page_token(request.page_token, query, str))
        rows = self._signals.list_signals(key, after, size + 1)
        page, next_token = paginate(rows, size, query, _cursor_of)
        return ss.ListSignalsResponse(signals=page, next_page_token=next_token)

    # --- agents ---------------------------------------------------------------------------

    def wait_signals(self, agent: str, request: ag.WaitSignalsRequest) -> ag.WaitSignalsResponse:
        """Create each signal not there yet and answer every signal's state, in order.

        The caller checks that ``agent`` holds the executions; a lease lost between that
        check and the insert is harmless: whoever holds the execution next creates the same
        signal, and the first one's description stays.
        """
        waits = []
        workflows: dict[ExecutionKey, Identifier] = {}
        for i, wait in enumerate(request.waits):
            at = f"waits[{i}]"
            key, signal_id = _checked_id(wait.id, f"{at}.id")
            if wait.type.WhichOneof("type") is None:
                raise InvalidArgument(f"{at}.type", "is required")
            if key not in workflows:
                stored = self._executions.get(key)
                if stored is None:
                    raise NotFound(f"execution {key} does not exist")
                workflows[key] = stored.execution.spec.workflow_id
            workflow_id = workflows[key]
            resolved = self._workflows.paths(workflow_id).resolve(wait.node_id)
            if resolved is None or not resolved.node.HasField("gate_node"):
                raise InvalidArgument(
                    f"{at}.node_id",
                    f"{workflow_id.name}@{workflow_id.version} has no gate node "
                    f"{shown(wait.node_id)}",
                )
            deadline = checked_time(wait, "deadline", f"{at}.deadline")
            waits.append((key, SignalWait(signal_id, wait.node_id, wait.type, deadline)))
        signals = self._signals.wait(waits, self._clock())
        if signals is None:
            raise NotFound("an execution of the waits does not exist")
        return ag.WaitSignalsResponse(signals=signals)

    def held_executions(self, request: ag.WaitSignalsRequest) -> list[ExecutionKey]:
        """The executions the waits are about, each once."""
        return sorted(
            {
                checked_key(wait.id.execution_id, f"waits[{i}].id.execution_id")
                for i, wait in enumerate(request.waits)
            }
        )

    # --- shared steps ---------------------------------------------------------------------

    def _existing(self, key: ExecutionKey, signal_id: str) -> Signal:
        self._execution_exists(key)
        signal = self._signals.get(key, signal_id)
        if signal is None:
            raise NotFound(_nobody_waits(key, signal_id))
        return signal

    def _execution_exists(self, key: ExecutionKey) -> None:
        if self._executions.get(key) is None:
            raise NotFound(f"execution {key} does not exist")


def _checked_id(identifier: SignalIdentifier, field: str) -> tuple[ExecutionKey, str]:
    require(identifier.ByteSize() > 0, field)
    key = checked_key(identifier.execution_id, f"{field}.execution_id")
    _check_text(identifier.signal_id, f"{field}.signal_id", required=True)
    return key, identifier.signal_id


def _check_text(value: str, field: str, *, required: bool) -> None:
    if not value and not required:
        return
    if not value or len(value) > MAX_TEXT_LENGTH or not value.isprintable():
        raise InvalidArgument(field, f"must be 1 to {MAX_TEXT_LENGTH} printable characters")


def _checked_value(value: Literal, signal: Signal) -> Literal:
    """``value`` as stored: a top-level value of the signal's type, its hash set."""
    if not literal_matches_type(value, signal.type):
        raise InvalidArgument(
            "value",
            f"signal {shown(signal.id.signal_id)} takes a value of type "
            f"{describe_type(signal.type)}",
        )
    nested = nested_hash_path(value)
    if nested is not None:
        raise InvalidArgument(
            f"value.{nested}.hash", "only a top-level value carries a hash, not a nested one"
        )
    if value.hash and value.hash != literal_hash(value):
        raise InvalidArgument("value.hash", f"{shown(value.hash)} is not the content hash")
    stored = Literal()
    stored.CopyFrom(value)
    return sealed(stored)


def _cursor(token: str | None) -> SignalCursor | None:
    if token is None:
        return None
    micros, _, signal_id = token.partition(":")
    if not micros.isdigit() or not signal_id:
        raise InvalidArgument("page_token", "is not a page token this server issued")
    seconds, micro = divmod(int(micros), 1_000_000)
    return to_datetime(Timestamp(seconds=seconds, nanos=micro * 1000)), signal_id


def _cursor_of(signal: Signal) -> str:
    created = signal.created_at
    return f"{created.seconds * 1_000_000 + created.nanos // 1000}:{signal.id.signal_id}"


def _describe(key: ExecutionKey, signal_id: str) -> str:
    return f"{shown(signal_id)} of execution {key}"


def _nobody_waits(key: ExecutionKey, signal_id: str) -> str:
    return f"no gate of execution {key} waits for signal {shown(signal_id)} (yet)"
