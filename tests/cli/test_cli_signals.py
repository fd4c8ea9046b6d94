"""`graven signal set|list` and `graven approve` against a real control plane, with the gates'
side played by a fake agent: it asks for the signals (WaitSignals) as a running gate does,
which creates them waiting, and sees what was set."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from auth_support import token_for
from cli_language_support import (
    BOOL,
    INT,
    FakeAgent,
    PlaneClient,
    agent_stack,
    private_plane,
    wait_until,
    write_package,
)
from google.protobuf.duration_pb2 import Duration
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli_registry import assert_one_line_error, graven

from graven.literals import string_literal, to_json_value
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1 import identifier_pb2 as idl
from graven.v1 import workflow_pb2 as wf
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.types_pb2 import LiteralType

LIST_OF_INT = LiteralType(collection_type=INT)


@dataclass(frozen=True)
class Gated:
    """An execution whose three gates wait: ``threshold`` (a list of ints), ``ship`` (an
    approval) and ``late`` (an int whose deadline has passed)."""

    client: PlaneClient
    execution: ex.Execution
    agent: FakeAgent

    @property
    def name(self) -> str:
        return self.execution.id.name

    def cli(self, *args: str) -> list[str]:
        return [*args, "-p", self.client.project, "-d", "dev"]

    def look(self) -> dict[str, object]:
        """What the gates see now: each signal's value (None while waiting)."""
        signals = self.agent.wait_signals(self.execution.id, *WAITS)
        return {
            s.id.signal_id: to_json_value(s.value) if s.HasField("value") else None for s in signals
        }


PAST = datetime(2020, 1, 1, tzinfo=UTC)
WAITS = (
    ("n0", "threshold", LIST_OF_INT, None),
    ("n1", "ship", BOOL, None),
    ("n2", "late", INT, PAST),
)


def gated_workflow(client: PlaneClient) -> idl.Identifier:
    interface = TypedInterface(inputs=[Variable(name="x", type=INT)])
    nodes = [
        wf.Node(
            id="n0",
            gate_node=wf.GateNode(
                signal=wf.SignalCondition(signal_id="threshold", type=LIST_OF_INT)
            ),
        ),
        wf.Node(
            id="n1",
            inputs=[wf.Binding(name="value", binding=wf.BindingData(workflow_input="x"))],
            gate_node=wf.GateNode(approve=wf.ApproveCondition(signal_id="ship")),
        ),
        wf.Node(
            id="n2",
            gate_node=wf.GateNode(
                signal=wf.SignalCondition(signal_id="late", type=INT),
                timeout=Duration(seconds=1),
            ),
        ),
    ]
    return client.register_workflow(f"w.gates-{client.project}", interface, nodes)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaneClient]:
    with private_plane(tmp_path_factory.mktemp("home")) as running:
        yield running


@pytest.fixture(scope="module")
def workflow(client: PlaneClient) -> idl.Identifier:
    return gated_workflow(client)


@pytest.fixture
def gated(client: PlaneClient, workflow: idl.Identifier) -> Gated:
    """A fresh execution, claimed, its gates waiting."""
    execution = client.launch(workflow, x=client.int_literal(7))
    agent = client.claim(execution.id)
    gated = Gated(client, execution, agent)
    assert gated.look() == {"threshold": None, "ship": None, "late": None}
    return gated


def run(gated: Gated, *args: str) -> str:
    result = graven(*gated.cli(*args), endpoint=gated.client.endpoint)
    assert result.returncode == 0, result.stderr
    return result.stdout


def listed(gated: Gated) -> dict[str, dict[str, object]]:
    return {
        s["id"]["signal_id"]: s
        for s in json.loads(run(gated, "signal", "list", gated.name, "--json"))
    }


def test_list_shows_each_signal_waiting_or_expired(gated: Gated) -> None:
    table = run(gated, "signal", "list", gated.name)
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if line.startswith("│")}
    assert "waiting" in rows["threshold"]
    assert "list[int]" in rows["threshold"]
    assert "n0" in rows["threshold"]
    assert "bool" in rows["ship"]
    assert "waiting" in rows["ship"]
    assert "expired" in rows["late"]
    assert "2020-01-01" in rows["late"] or "2019-12-31" in rows["late"]  # in local time
    assert set(listed(gated)) == {"threshold", "ship", "late"}


def test_set_reads_the_value_with_the_signals_type(gated: Gated) -> None:
    printed = run(gated, "signal", "set", gated.name, "threshold", "[3, 5]", "--set-by", "alice")
    assert "threshold = [3, 5] by alice" in printed
    assert gated.look()["threshold"] == [3, 5]
    shown = listed(gated)["threshold"]
    assert shown["set_by"] == "alice"
    assert "set_at" in shown
    table = run(gated, "signal", "list", gated.name)
    row = next(line for line in table.splitlines() if "threshold" in line)
    assert "set" in row.split("│")[4]
    assert "alice" in row
    # Setting the value it holds again is a no-op, not an error.
    run(gated, "signal", "set", gated.name, "threshold", "[3,5]", "--set-by", "alice")


def test_a_wrong_typed_value_is_refused_and_the_gate_keeps_waiting(gated: Gated) -> None:
    at = gated.client.endpoint
    result = graven(*gated.cli("signal", "set", gated.name, "threshold", "three"), endpoint=at)
    assert_one_line_error(result, "signal 'threshold'", "expected list[int]", "'three'")
    # An approval is a bool: the server refuses it for an int signal, and says why.
    result = graven(*gated.cli("approve", gated.name, "threshold"), endpoint=at)
    assert_one_line_error(result, "INVALID_ARGUMENT")
    assert gated.look()["threshold"] is None
    assert listed(gated)["threshold"].get("value") is None


def test_approve_and_reject(gated: Gated) -> None:
    printed = run(gated, "approve", gated.name, "ship")
    assert f"ship = true by {getpass.getuser()}" in printed
    assert gated.look()["ship"] is True
    # A decision stands: rejecting after approving is refused with the server's reason.
    result = graven(
        *gated.cli("approve", gated.name, "ship", "--reject"), endpoint=gated.client.endpoint
    )
    assert_one_line_error(result, "FAILED_PRECONDITION")
    assert gated.look()["ship"] is True


def test_reject_sets_false(gated: Gated) -> None:
    run(gated, "approve", gated.name, "ship", "--reject", "--set-by", "bob")
    assert gated.look()["ship"] is False
    assert listed(gated)["ship"]["set_by"] == "bob"


def test_a_signal_past_its_deadline_is_refused(gated: Gated) -> None:
    result = graven(
        *gated.cli("signal", "set", gated.name, "late", "4"), endpoint=gated.client.endpoint
    )
    assert_one_line_error(result, "FAILED_PRECONDITION")
    assert gated.look()["late"] is None


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("signal", "set", "{name}", "nosuch", "1"), ("NOT_FOUND",)),
        (("signal", "set", "nosuchexecution", "threshold", "[1]"), ("NOT_FOUND",)),
        (("signal", "list", "nosuchexecution"), ("NOT_FOUND",)),
        (("approve", "{name}", "nosuch"), ("NOT_FOUND",)),
        (("signal", "set", "a/b", "threshold", "1"), ("PROJECT/DOMAIN/NAME",)),
        (("signal", "set", "{name}", "threshold"), ("VALUE",)),
    ],
)
def test_user_errors_are_one_line(
    gated: Gated, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    filled = [a.format(name=gated.name) for a in args]
    result = graven(*gated.cli(*filled), endpoint=gated.client.endpoint)
    assert result.returncode != 0
    if "VALUE" in fragments:  # a usage error: typer's own message, no traceback
        assert "Traceback" not in result.stderr
        assert "VALUE" in result.stderr.upper()
        return
    assert_one_line_error(result, *fragments)


# --- Remote ---------------------------------------------------------------------------------


def test_remote_sets_python_values_with_the_signals_type(gated: Gated) -> None:
    with Remote(gated.client.endpoint, token=token_for(gated.client.endpoint)) as remote:
        signal = remote.set_signal(gated.execution, "threshold", [1, 2], set_by="ci")
        assert to_json_value(signal.value) == [1, 2]
        assert signal.set_by == "ci"
        approved = remote.approve(gated.execution.id, "ship", approved=True)
        assert approved.value.primitive.boolean is True
        assert approved.set_by == getpass.getuser()
        states = {s.id.signal_id: s.HasField("value") for s in remote.signals(gated.execution)}
    assert states == {"threshold": True, "ship": True, "late": False}
    assert gated.look() == {"threshold": [1, 2], "ship": True, "late": None}


def test_remote_python_type_converts_and_the_server_checks(gated: Gated) -> None:
    with Remote(gated.client.endpoint, token=token_for(gated.client.endpoint)) as remote:
        with pytest.raises(grpc.RpcError) as refused:
            remote.set_signal(gated.execution, "threshold", "3", python_type=str)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert refused.value.details()
        with pytest.raises(grpc.RpcError) as literal:
            remote.set_signal(gated.execution, "threshold", string_literal("x"))
        assert literal.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        signal = remote.set_signal(gated.execution, "threshold", [4], python_type=list[int])
    assert to_json_value(signal.value) == [4]
    assert gated.look()["threshold"] == [4]


@settings(max_examples=15, deadline=None)
@given(values=st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=5))
def test_any_list_of_ints_as_typed_reaches_the_gate(
    client: PlaneClient, workflow: idl.Identifier, values: list[int]
) -> None:
    execution = client.launch(workflow, x=client.int_literal(1))
    gated = Gated(client, execution, client.claim(execution.id))
    gated.look()
    with Remote(client.endpoint, token=token_for(client.endpoint)) as remote:
        remote.set_signal(execution, "threshold", json.dumps(values))
    assert gated.look()["threshold"] == values


# --- with a real agent: a running gate waits for `graven signal set` and `graven approve` ----

GATED = """
    import graven
    from graven import task, workflow


    @task
    def double(x: int) -> int:
        return 2 * x


    @task
    def add(x: int, y: int) -> int:
        return x + y


    @workflow
    def shipped(x: int) -> int:
        factor = graven.wait_for_input("factor", expected_type=int)
        return add(x=graven.approve(double(x=x), "ship"), y=factor)
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, ray_address: str) -> Iterator[PlaneClient]:
    with agent_stack(tmp_path_factory.mktemp("agent-home"), ray_address) as running:
        yield running


def test_a_running_gate_waits_for_the_cli(stack: PlaneClient, tmp_path: Path) -> None:
    package = write_package(tmp_path, "gated", GATED)
    at = stack.endpoint
    launched = graven(
        "run",
        f"{package}:shipped",
        "--x",
        "4",
        "-p",
        stack.project,
        "--no-wait",
        "--json",
        endpoint=at,
    )
    assert launched.returncode == 0, launched.stderr
    execution_id = idl.ExecutionIdentifier(**json.loads(launched.stdout)["id"])
    name = execution_id.name
    with Remote(at, token=token_for(at)) as remote:

        def waiting() -> set[str]:
            return {s.id.signal_id for s in remote.signals(execution_id) if not s.HasField("value")}

        wait_until(lambda: waiting() == {"factor", "ship"}, "both gates to wait")
        refused = graven("signal", "set", name, "factor", "ten", "-p", stack.project, endpoint=at)
        assert_one_line_error(refused, "signal 'factor'", "expected int", "'ten'")
        assert waiting() == {"factor", "ship"}
        assert remote.execution(execution_id).closure.phase == ex.EXECUTION_PHASE_RUNNING

        done = graven("signal", "set", name, "factor", "10", "-p", stack.project, endpoint=at)
        assert done.returncode == 0, done.stderr
        approved = graven("approve", name, "ship", "-p", stack.project, endpoint=at)
        assert approved.returncode == 0, approved.stderr
        final = remote.wait(execution_id)
        assert final.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED, final.closure.error
        assert remote.outputs(execution_id) == {"o0": 18}

    shown = graven("executions", "get", name, "-p", stack.project, endpoint=at)
    assert shown.returncode == 0, shown.stderr
    rows = [line.split("│") for line in shown.stdout.splitlines() if line.startswith("│")]
    gates = ["│".join(cells) for cells in rows if cells[2].strip() == "gate"]
    assert len(gates) == 2, shown.stdout
    assert any("approve 'ship'" in line for line in gates)
    assert any("signal 'factor': int" in line for line in gates)
    assert all("SUCCEEDED" in line for line in gates)
