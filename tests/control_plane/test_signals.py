"""Signals over a real gRPC server: an agent's wait creates them (the first description
stays), people set them once (the same value again is a no-op; another value, a wrong type
or a passed deadline is refused), and an execution's signals list oldest first in pages."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from auth_support import authorized_channel
from cp_support import INT, STR
from execution_support import Harness, private_plane
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_support import Language

from graven.control_plane.errors import FailedPrecondition
from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.execution_repository import ExecutionRepository
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.persistence.signal_repository import SignalRepository
from graven.control_plane.service.execution_workflows import WorkflowVersions
from graven.control_plane.service.signals import SignalService
from graven.literals import int_literal, sealed, string_literal
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import signal_service_pb2 as ss
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.literals_pb2 import Literal, Primitive
from graven.v1.signal_pb2 import Signal, SignalIdentifier
from graven.v1.signal_service_pb2_grpc import SignalServiceStub
from graven.v1.types_pb2 import SIMPLE_TYPE_BOOLEAN, LiteralType

BOOL_TYPE = LiteralType(simple=SIMPLE_TYPE_BOOLEAN)


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url) as harness:
        yield harness


@pytest.fixture
def signals(cp: Harness) -> SignalServiceStub:
    return SignalServiceStub(authorized_channel(cp.plane))


class Gates:
    """A claimed execution of the language workflow, with its gates' waits."""

    def __init__(self, cp: Harness) -> None:
        self.cp = cp
        language = Language(cp)
        self.execution_id = cp.create(language.workflow.id, x=int_literal(1)).id
        self.agent = cp.agent()
        assert self.agent.claim().execution.id == self.execution_id

    def id(self, signal_id: str) -> SignalIdentifier:
        return SignalIdentifier(execution_id=self.execution_id, signal_id=signal_id)

    def wait(
        self,
        *waits: tuple[str, str, LiteralType, datetime | None],
        agent_id: str = "",
    ) -> list[Signal]:
        request = ag.WaitSignalsRequest(agent_id=agent_id or self.agent.agent_id)
        for signal_id, node_id, type_, deadline in waits:
            wait = request.waits.add(id=self.id(signal_id), type=type_, node_id=node_id)
            if deadline is not None:
                wait.deadline.CopyFrom(to_timestamp(deadline))
        return list(self.cp.agents.WaitSignals(request).signals)


@pytest.fixture
def gates(cp: Harness) -> Gates:
    return Gates(cp)


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def set_request(
    gates: Gates, signal_id: str, value: Literal, by: str = "ana"
) -> ss.SetSignalRequest:
    return ss.SetSignalRequest(id=gates.id(signal_id), value=value, set_by=by)


def refused(call: object, request: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request)  # type: ignore[operator]
    return caught.value


def test_a_wait_creates_a_waiting_signal_and_the_first_description_stays(
    gates: Gates, signals: SignalServiceStub
) -> None:
    deadline = later(3600)
    (created,) = gates.wait(("answer", "n7", INT, deadline))
    assert created.id == gates.id("answer")
    assert (created.type, created.node_id) == (INT, "n7")
    assert created.deadline == to_timestamp(deadline)
    assert not created.HasField("value")
    # Asked again (a resumed agent, a poll), with another description: the first stays.
    again = gates.wait(("answer", "n7", STR, None), ("publish", "n8", BOOL_TYPE, None))
    assert again[0] == created
    assert (again[1].id.signal_id, again[1].type) == ("publish", BOOL_TYPE)
    got = signals.GetSignal(ss.GetSignalRequest(id=gates.id("answer"))).signal
    assert got == created


def test_a_signal_is_set_once_and_setting_its_value_again_is_a_no_op(
    gates: Gates, signals: SignalServiceStub
) -> None:
    gates.wait(("answer", "n7", INT, later(3600)))
    answer = signals.SetSignal(set_request(gates, "answer", int_literal(42))).signal
    assert answer.value == sealed(int_literal(42))
    assert (answer.set_by, answer.HasField("set_at")) == ("ana", True)
    # A retried call (even by someone else, the value unsealed) answers the signal as set.
    unsealed = Literal(primitive=Primitive(integer=42))
    assert signals.SetSignal(set_request(gates, "answer", unsealed, by="bo")).signal == answer
    error = refused(signals.SetSignal, set_request(gates, "answer", int_literal(7)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "already set (by ana)" in (error.details() or "")
    # The agent's next wait sees the value.
    assert gates.wait(("answer", "n7", INT, None))[0] == answer


def test_a_value_of_another_type_is_refused_naming_the_field_and_the_type(
    gates: Gates, signals: SignalServiceStub
) -> None:
    gates.wait(("answer", "n7", INT, None))
    error = refused(signals.SetSignal, set_request(gates, "answer", string_literal("42")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.details() or "").startswith("value:")
    assert "int" in (error.details() or "")
    wrong_hash = int_literal(42)
    wrong_hash.hash = "sha256:" + "0" * 64
    error = refused(signals.SetSignal, set_request(gates, "answer", wrong_hash))
    assert (error.details() or "").startswith("value.hash:")
    # Still waiting: a right value is taken.
    set_ = signals.SetSignal(set_request(gates, "answer", int_literal(1))).signal
    assert set_.value == sealed(int_literal(1))


def test_a_signal_past_its_deadline_is_refused(gates: Gates, signals: SignalServiceStub) -> None:
    # An agent resuming late creates it with the deadline the gate started with.
    gates.wait(("answer", "n7", INT, later(-1)))
    error = refused(signals.SetSignal, set_request(gates, "answer", int_literal(1)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "deadline" in (error.details() or "")
    assert not signals.GetSignal(ss.GetSignalRequest(id=gates.id("answer"))).signal.HasField(
        "value"
    )


def test_the_deadline_is_read_from_the_clock_at_the_set(cp: Harness, gates: Gates) -> None:
    now = [datetime.now(UTC)]
    # The same tables, another clock.
    sessions = make_sessions(cp.plane.engine)
    service = SignalService(
        SignalRepository(sessions),
        ExecutionRepository(sessions),
        WorkflowVersions(cp.plane.registry),
        clock=lambda: now[0],
    )
    gates.wait(("answer", "n7", INT, now[0] + timedelta(minutes=5)))
    now[0] += timedelta(minutes=5)
    with pytest.raises(FailedPrecondition, match="deadline"):
        service.set_signal(set_request(gates, "answer", int_literal(1)))
    now[0] -= timedelta(seconds=1)
    assert service.set_signal(set_request(gates, "answer", int_literal(1))).signal.HasField("value")


def test_unknown_signals_and_executions_are_not_found(
    gates: Gates, signals: SignalServiceStub
) -> None:
    error = refused(signals.SetSignal, set_request(gates, "nobody-waits", int_literal(1)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "nobody-waits" in (error.details() or "")
    assert (
        refused(signals.GetSignal, ss.GetSignalRequest(id=gates.id("nobody-waits"))).code()
        == grpc.StatusCode.NOT_FOUND
    )
    gone = ExecutionIdentifier(project=gates.cp.project, domain="dev", name="gone")
    for call, request in (
        (
            signals.GetSignal,
            ss.GetSignalRequest(id=SignalIdentifier(execution_id=gone, signal_id="a")),
        ),
        (signals.ListSignals, ss.ListSignalsRequest(execution_id=gone)),
        (
            signals.SetSignal,
            ss.SetSignalRequest(
                id=SignalIdentifier(execution_id=gone, signal_id="a"), value=int_literal(1)
            ),
        ),
    ):
        error = refused(call, request)
        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert "execution" in (error.details() or "")


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ss.SetSignalRequest(value=int_literal(1)), "id"),
        (ss.SetSignalRequest(id=SignalIdentifier(signal_id="a"), value=int_literal(1)),
         "id.execution_id"),
        (ss.SetSignalRequest(id=SignalIdentifier(
            execution_id=ExecutionIdentifier(project="p", domain="d", name="Bad!"), signal_id="a"
        ), value=int_literal(1)), "id.execution_id.name"),
        (ss.SetSignalRequest(id=SignalIdentifier(
            execution_id=ExecutionIdentifier(project="p", domain="d", name="e"), signal_id=""
        ), value=int_literal(1)), "id.signal_id"),
        (ss.SetSignalRequest(id=SignalIdentifier(
            execution_id=ExecutionIdentifier(project="p", domain="d", name="e"), signal_id="a"
        )), "value"),
        (ss.SetSignalRequest(id=SignalIdentifier(
            execution_id=ExecutionIdentifier(project="p", domain="d", name="e"), signal_id="a"
        ), value=int_literal(1), set_by="a\nb"), "set_by"),
    ],
)  # fmt: skip
def test_malformed_sets_name_their_field(
    signals: SignalServiceStub, request_: ss.SetSignalRequest, field: str
) -> None:
    error = refused(signals.SetSignal, request_)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.details() or "").startswith(f"{field}:")


def test_waits_are_lease_checked_and_name_gate_nodes(gates: Gates) -> None:
    error = refused(lambda r: gates.wait(*r, agent_id="stranger"), [("answer", "n7", INT, None)])
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "lease" in (error.details() or "")
    for node_id in ("n0", "n9", "n4/1"):
        error = refused(lambda r: gates.wait(*r), [("answer", node_id, INT, None)])
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (error.details() or "").startswith("waits[0].node_id:")
    error = refused(lambda r: gates.wait(*r), [("answer", "n7", LiteralType(), None)])
    assert (error.details() or "").startswith("waits[0].type:")
    # None of them created anything.
    listed = gates.cp.plane.signals.list_signals(
        ss.ListSignalsRequest(execution_id=gates.execution_id)
    )
    assert list(listed.signals) == []


def test_concurrent_sets_of_different_values_have_one_winner(
    gates: Gates, signals: SignalServiceStub
) -> None:
    gates.wait(("answer", "n7", INT, None))

    def attempt(n: int) -> int | grpc.StatusCode:
        request = set_request(gates, "answer", int_literal(n))
        try:
            return signals.SetSignal(request).signal.value.primitive.integer
        except grpc.RpcError as error:
            return error.code()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    # Every call answers the winner's value or is refused: one value, set once.
    values = {got for got in results if isinstance(got, int)}
    assert len(values) == 1
    (winner,) = values
    assert results[winner] == winner
    assert [got for got in results if not isinstance(got, int)] == [
        grpc.StatusCode.FAILED_PRECONDITION
    ] * (8 - results.count(winner))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(count=st.integers(min_value=0, max_value=7), size=st.integers(min_value=1, max_value=4))
def test_signals_list_oldest_first_in_pages(
    cp: Harness, signals: SignalServiceStub, count: int, size: int
) -> None:
    gates = Gates(cp)
    # One wait per signal, so each is created after the previous one; their ids sort the
    # other way round, so the order is by creation, not by id.
    for i in range(count):
        gates.wait((f"s{9 - i}", "n7", INT, None))
    ids: list[str] = []
    token = ""
    pages = 0
    while True:
        response = signals.ListSignals(
            ss.ListSignalsRequest(execution_id=gates.execution_id, page_size=size, page_token=token)
        )
        pages += 1
        assert len(response.signals) <= size
        ids += [s.id.signal_id for s in response.signals]
        token = response.next_page_token
        if not token:
            break
    assert ids == [f"s{9 - i}" for i in range(count)]
    assert pages == max(1, -(-count // size))
    other = ss.ListSignalsRequest(execution_id=Gates(cp).execution_id, page_token="bm90IGEgdG9rZW4")
    assert refused(signals.ListSignals, other).code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_timestamp_outside_the_range_is_refused(gates: Gates) -> None:
    request = ag.WaitSignalsRequest(agent_id=gates.agent.agent_id)
    request.waits.add(
        id=gates.id("answer"), type=INT, node_id="n7", deadline=Timestamp(seconds=-(10**12))
    )
    error = refused(gates.cp.agents.WaitSignals, request)
    assert (error.details() or "").startswith("waits[0].deadline:")
