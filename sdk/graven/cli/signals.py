"""`graven signal set|list` and `graven approve`: the values gates wait for."""

from __future__ import annotations

import json as jsonlib
from datetime import UTC, datetime
from typing import Annotated

import typer

from graven.cli.executions import ExecutionName, execution_id
from graven.cli.options import DEFAULT_DOMAIN, DEFAULT_PROJECT, Domain, Endpoint, Json, Project
from graven.cli.output import console, full_name, print_json, table, when
from graven.literals import to_json_value
from graven.remote import Remote
from graven.remote_signals import local_user
from graven.types import describe_type
from graven.v1 import signal_pb2 as sig

signal_app = typer.Typer(help="Give gates their values; list what they wait for.")

SignalName = Annotated[str, typer.Argument(help="The gate's name (its signal id).")]
SetBy = Annotated[
    str,
    typer.Option("--set-by", help="Who sets it, as recorded.", show_default="the local user"),
]


def install(app: typer.Typer) -> None:
    app.add_typer(signal_app, name="signal", no_args_is_help=True)
    signal_app.command("set")(set_signal)
    signal_app.command("list")(list_signals)
    app.command()(approve)


def set_signal(
    execution: ExecutionName,
    name: SignalName,
    value: Annotated[str, typer.Argument(help="JSON of the signal's type, as `run` reads inputs.")],
    set_by: SetBy = "",
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Set a waiting signal to VALUE (read with the signal's type)."""
    with Remote(endpoint or None) as remote:
        result = remote.set_signal(
            execution_id(execution, project, domain), name, value, set_by=set_by or local_user()
        )
    _print_set(result, json=json)


def approve(
    execution: ExecutionName,
    name: SignalName,
    reject: Annotated[bool, typer.Option("--reject", help="Reject: the gate fails.")] = False,
    set_by: SetBy = "",
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Approve (or --reject) an approval gate."""
    with Remote(endpoint or None) as remote:
        result = remote.approve(
            execution_id(execution, project, domain),
            name,
            approved=not reject,
            set_by=set_by or local_user(),
        )
    _print_set(result, json=json)


def list_signals(
    execution: ExecutionName,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """The execution's signals, waiting and set, oldest first."""
    eid = execution_id(execution, project, domain)
    with Remote(endpoint or None) as remote:
        signals = remote.signals(eid)
    if json:
        print_json(signals)
        return
    now = datetime.now(UTC)
    table(
        f"signals of {full_name(eid)}",
        ["name", "node", "type", "state", "value", "set by", "set at", "deadline"],
        (
            (
                s.id.signal_id,
                s.node_id,
                describe_type(s.type),
                state(s, now),
                _value(s),
                s.set_by or "-",
                when(s.set_at),
                when(s.deadline),
            )
            for s in signals
        ),
    )


def state(signal: sig.Signal, now: datetime) -> str:
    """waiting, set, or expired (its deadline passed with no value: the gate has failed)."""
    if signal.HasField("value"):
        return "set"
    if signal.HasField("deadline") and signal.deadline.ToDatetime(tzinfo=UTC) <= now:
        return "expired"
    return "waiting"


def _value(signal: sig.Signal) -> str:
    if not signal.HasField("value"):
        return "-"
    return jsonlib.dumps(to_json_value(signal.value), sort_keys=True)


def _print_set(signal: sig.Signal, *, json: bool) -> None:
    if json:
        print_json(signal)
        return
    by = f" by {signal.set_by}" if signal.set_by else ""
    console.print(
        f"{full_name(signal.id.execution_id)}: {signal.id.signal_id} = {_value(signal)}{by}",
        highlight=False,
        markup=False,
    )
