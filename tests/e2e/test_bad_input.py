"""Requests a user gets wrong: the right gRPC status from Remote, one `error:` line and a
non-zero exit from the CLI, and a control plane and agent that keep serving."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from e2e_support import finish, graven, one_line_error, write_package

from graven.errors import GravenValueError
from graven.literals import int_literal, string_literal
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1 import execution_service_pb2 as exs
from graven.v1 import identifier_pb2 as idl
from graven.v1.literals_pb2 import LiteralMap

SCALES = """
    from graven import task, workflow


    @task
    def times(x: int, label: str) -> str:
        return f"{label}: {x * 3}"


    @workflow
    def scale(x: int, label: str) -> str:
        return times(x=x, label=label)
"""
WORKFLOW = "scales.flows.scale"
DOMAIN = "development"


@dataclass(frozen=True)
class Setup:
    """A registered workflow and one of its executions that has finished."""

    package: Path
    project: str
    done: idl.ExecutionIdentifier

    def missing(self) -> idl.ExecutionIdentifier:
        return idl.ExecutionIdentifier(project=self.project, domain=DOMAIN, name="nosuchrun")

    def workflow_id(self) -> idl.Identifier:
        return idl.Identifier(
            resource_type=idl.RESOURCE_TYPE_WORKFLOW,
            project=self.project,
            domain=DOMAIN,
            name=WORKFLOW,
        )


@pytest.fixture(scope="module")
def setup(remote: Remote, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    package = write_package(tmp_path_factory.mktemp("bad-input"), "scales", {"flows": SCALES})
    project = f"e2e-{uuid.uuid4().hex[:10]}"
    remote.register(package, project=project)
    done = remote.launch(WORKFLOW, {"x": 1, "label": "one"}, project=project)
    assert finish(remote, done.id).closure.phase == ex.EXECUTION_PHASE_SUCCEEDED
    yield Setup(package, project, done.id)
    # The refusals launched nothing, and the stack still runs what is asked of it.
    assert [e.id for e in remote.list_executions(project, DOMAIN)] == [done.id]
    again = remote.launch(WORKFLOW, {"x": 14, "label": "after"}, project=project)
    assert finish(remote, again.id).closure.phase == ex.EXECUTION_PHASE_SUCCEEDED
    assert remote.outputs(again.id) == {"o0": "after: 42"}


def create(remote: Remote, s: Setup, **inputs: object) -> ex.Execution:
    """CreateExecution as any gRPC client sends it: no client-side checks on the way."""
    literals = LiteralMap()
    for name, value in inputs.items():
        literal = int_literal(value) if isinstance(value, int) else string_literal(str(value))
        literals.literals[name].CopyFrom(literal)
    request = exs.CreateExecutionRequest(
        project=s.project, domain=DOMAIN, workflow_id=s.workflow_id(), inputs=literals
    )
    return remote.executions.CreateExecution(request).execution


@dataclass(frozen=True)
class Case:
    """One mistake, made through Remote and through the CLI, and what each answers.

    A status of None: the client refuses the mistake itself, before any request (Remote
    raises GravenValueError; the CLI's line carries no status). Each message must hold all
    of its fragments."""

    remote: Callable[[Remote, Setup], object]
    remote_status: grpc.StatusCode | None
    remote_says: tuple[str, ...]
    cli: Callable[[Setup], list[str]]
    cli_status: grpc.StatusCode | None
    cli_says: tuple[str, ...]


def run_args(s: Setup, workflow: str, *inputs: str) -> list[str]:
    return ["run", f"{s.package}:{workflow}", "-p", s.project, *inputs]


NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID = grpc.StatusCode.INVALID_ARGUMENT
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
MISSING_EXECUTION = ("nosuchrun", "does not exist")
CASES = {
    "unknown workflow": Case(
        lambda r, s: r.launch("scales.flows.nope", {"x": 1}, project=s.project),
        NOT_FOUND,
        ("scales.flows.nope", "is not registered"),
        lambda s: run_args(s, "nope", "--x", "1"),
        None,
        ("no single workflow 'nope'", "found: scales.flows.scale"),
    ),
    "wrong input type": Case(
        # A literal goes to the server as is; a CLI string is read by the client first.
        lambda r, s: r.launch(
            WORKFLOW, {"x": string_literal("three"), "label": "a"}, project=s.project
        ),
        INVALID,
        ("inputs.x:", "int"),
        lambda s: run_args(s, "scale", "--x", "three", "--label", "a"),
        None,
        ("input 'x'", "expected int", "'three'"),
    ),
    "missing input": Case(
        lambda r, s: r.launch(WORKFLOW, {"label": "a"}, project=s.project),
        INVALID,
        ("inputs.x:", "missing"),
        lambda s: run_args(s, "scale", "--label", "a"),
        INVALID,
        ("inputs.x:", "missing"),
    ),
    "unknown input name": Case(
        lambda r, s: r.launch(WORKFLOW, {"x": 1, "label": "a", "size": 2}, project=s.project),
        None,
        ("no input 'size'", "inputs: label, x"),
        lambda s: run_args(s, "scale", "--x", "1", "--label", "a", "--size", "2"),
        None,
        ("no input 'size'", "inputs: label, x"),
    ),
    "terminate a finished execution": Case(
        lambda r, s: r.terminate(s.done),
        PRECONDITION,
        ("already finished (SUCCEEDED)",),
        lambda s: ["terminate", s.done.name, "-p", s.project],
        PRECONDITION,
        ("already finished (SUCCEEDED)",),
    ),
    "relaunch a missing execution": Case(
        lambda r, s: r.relaunch(s.missing()),
        NOT_FOUND,
        MISSING_EXECUTION,
        lambda s: ["relaunch", "nosuchrun", "-p", s.project],
        NOT_FOUND,
        MISSING_EXECUTION,
    ),
    "recover a missing execution": Case(
        lambda r, s: r.recover(s.missing()),
        NOT_FOUND,
        MISSING_EXECUTION,
        lambda s: ["recover", "nosuchrun", "-p", s.project],
        NOT_FOUND,
        MISSING_EXECUTION,
    ),
    "recover a succeeded execution": Case(
        lambda r, s: r.recover(s.done),
        PRECONDITION,
        ("is SUCCEEDED", "can be recovered"),
        lambda s: ["recover", s.done.name, "-p", s.project],
        PRECONDITION,
        ("is SUCCEEDED", "can be recovered"),
    ),
    "inspect a missing execution": Case(
        lambda r, s: r.execution(s.missing()),
        NOT_FOUND,
        MISSING_EXECUTION,
        lambda s: ["executions", "get", "nosuchrun", "-p", s.project, "--json"],
        NOT_FOUND,
        MISSING_EXECUTION,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_a_mistake_gets_a_clear_answer(
    case: Case, remote: Remote, endpoint: str, setup: Setup
) -> None:
    if case.remote_status is None:
        with pytest.raises(GravenValueError) as refused:
            case.remote(remote, setup)
        message = str(refused.value)
    else:
        with pytest.raises(grpc.RpcError) as raised:
            case.remote(remote, setup)
        assert raised.value.code() == case.remote_status, raised.value.details()
        message = raised.value.details() or ""
    for fragment in case.remote_says:
        assert fragment in message
    line = one_line_error(graven(endpoint, *case.cli(setup)))
    if case.cli_status is not None:
        assert line.startswith(f"error: {case.cli_status.name}: "), line
    for fragment in case.cli_says:
        assert fragment in line


@pytest.mark.parametrize(
    ("inputs", "names"),
    [
        ({"x": "three", "label": "a"}, ["inputs.x"]),
        ({"label": 7}, ["inputs.x", "inputs.label"]),
        ({"x": 1, "label": "a", "size": 2}, ["inputs.size"]),
    ],
    ids=["wrong type", "missing and wrong type", "unknown name"],
)
def test_the_server_names_every_bad_input(
    inputs: dict[str, object], names: list[str], remote: Remote, setup: Setup
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        create(remote, setup, **inputs)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    for name in names:
        assert name in details
