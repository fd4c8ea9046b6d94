"""Commands that launch executions and follow them."""

from __future__ import annotations

import itertools
import json as jsonlib
from pathlib import Path
from typing import Annotated, cast

import typer
from google.protobuf.timestamp_pb2 import Timestamp
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from graven.cli import node_tree
from graven.cli.options import DEFAULT_DOMAIN, DEFAULT_PROJECT, Domain, Endpoint, Json, Project
from graven.cli.output import console, full_name, print_json, table, to_dict, when
from graven.loader import Project as LoadedProject
from graven.loader import load_project
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1 import identifier_pb2 as idl
from graven.v1 import notification_pb2 as nt
from graven.v1 import workflow_pb2 as wf
from graven.v1.execution_service_pb2 import WatchExecutionResponse

PHASE_STYLES = {
    "SUCCEEDED": "green",
    "RECOVERED": "green",
    "FAILED": "red",
    "TIMED_OUT": "red",
    "TERMINATED": "yellow",
    "TERMINATING": "yellow",
    "SKIPPED": "dim",
    "RUNNING": "cyan",
    "RETRYING": "magenta",
    "QUEUED": "dim",
}

executions_app = typer.Typer(help="List, inspect and follow executions.", no_args_is_help=True)


def install(app: typer.Typer) -> None:
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(run)
    app.add_typer(executions_app, name="executions")
    executions_app.command("list")(list_executions)
    executions_app.command("get")(get_execution)
    executions_app.command("watch")(watch_execution)
    app.command()(relaunch)
    app.command()(recover)
    app.command()(terminate)


ExecutionName = Annotated[str, typer.Argument(help="NAME, or PROJECT/DOMAIN/NAME.")]
Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="Follow it until it ends.")]


def execution_id(text: str, project: str, domain: str) -> idl.ExecutionIdentifier:
    parts = text.split("/")
    if len(parts) == 3:
        return idl.ExecutionIdentifier(project=parts[0], domain=parts[1], name=parts[2])
    if len(parts) == 1:
        return idl.ExecutionIdentifier(project=project, domain=domain, name=text)
    raise ValueError(f"execution {text!r} must be NAME or PROJECT/DOMAIN/NAME")


def parse_inputs(args: list[str]) -> dict[str, str]:
    """``--name value`` and ``--name=value`` pairs after the workflow."""
    inputs: dict[str, str] = {}
    items = iter(args)
    for item in items:
        if item == "--":
            continue  # what follows is inputs, whatever their names (see run)
        if not item.startswith("--"):
            raise ValueError(f"unexpected argument {item!r}; inputs are given as --name value")
        key, eq, value = item[2:].partition("=")
        if not eq:
            following = next(items, None)
            if following is None:
                raise ValueError(f"input --{key} has no value")
            value = following
        inputs[key.replace("-", "_")] = value
    return inputs


def run(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(help="PATH:WORKFLOW or PATH:LAUNCH_PLAN, e.g. flows.py:train."),
    ],
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    version: Annotated[str | None, typer.Option(help="Register under this version.")] = None,
    wait: Wait = True,
    overwrite_cache: Annotated[bool, typer.Option(help="Recompute cached nodes.")] = False,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Register the project at PATH and launch a WORKFLOW or LAUNCH_PLAN of it with
    --input-name value pairs."""
    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise ValueError(f"{target!r}: expected PATH:WORKFLOW or PATH:LAUNCH_PLAN")
    inputs = parse_inputs(ctx.args)
    loaded = load_project(Path(path_text))
    # An input named like an option of run's own would be taken as that option (and the
    # project registered with it): refused before anything is registered.
    given = {p for p in RUN_OPTIONS if _typed(ctx, p)}
    clashes = sorted(given & target_inputs(loaded, name))
    if clashes:
        flag = "--" + clashes[0].replace("_", "-")
        raise ValueError(
            f"{flag} is both an option of graven run and an input of {name!r}: give the "
            f"inputs after a `--` (graven run {target} -- {flag} VALUE)"
        )
    with Remote(endpoint or None) as remote:
        registered = remote.register_project(loaded, project, domain, version)
        chosen = launch_target([r.id for r in registered], name, path_text)
        execution = remote.launch(
            chosen.name,
            inputs,
            project=project,
            domain=domain,
            version=chosen.version,
            launch_plan=chosen.resource_type == idl.RESOURCE_TYPE_LAUNCH_PLAN,
            overwrite_cache=overwrite_cache,
        )
        _follow(remote, execution, wait=wait, json=json)


LAUNCHABLE = {idl.RESOURCE_TYPE_WORKFLOW: "workflow", idl.RESOURCE_TYPE_LAUNCH_PLAN: "launch plan"}
# The options of run itself (parameter names), which an input of the same name would meet.
RUN_OPTIONS = ("project", "domain", "version", "wait", "overwrite_cache", "json", "endpoint")


def _typed(ctx: typer.Context, parameter: str) -> bool:
    """Whether the option was given on the command line (not left to its default)."""
    source = ctx.get_parameter_source(parameter)
    # By name: typer bundles its own copy of click's ParameterSource.
    return source is not None and source.name == "COMMANDLINE"


def target_inputs(loaded: LoadedProject, name: str) -> set[str]:
    """The input names of the workflows and launch plans of ``loaded`` that ``name`` may
    mean (as launch_target reads it)."""
    entities = [(w.name, w.interface) for w in loaded.workflows] + [
        (plan.name, plan.workflow.interface) for plan in loaded.launch_plans
    ]
    return {
        p.name
        for entity, interface in entities
        if entity == name or entity.endswith("." + name)
        for p in interface.inputs
    }


def launch_target(registered: list[idl.Identifier], name: str, where: str) -> idl.Identifier:
    """The workflow or launch plan ``name`` means: its full name, or the end of it after a
    dot (``train`` for ``flows.train``). A full name wins over endings; anything else that
    is not exactly one entity is refused, naming what there is."""
    launchable = [i for i in registered if i.resource_type in LAUNCHABLE]
    exact = [i for i in launchable if i.name == name]
    matches = exact or [i for i in launchable if i.name.endswith("." + name)]
    if len(matches) == 1:
        return matches[0]

    if matches:
        found = ", ".join(f"{LAUNCHABLE[i.resource_type]} {i.name}" for i in matches)
        raise ValueError(f"{where}: {name!r} is ambiguous: {found}")
    workflows = [i.name for i in launchable if i.resource_type == idl.RESOURCE_TYPE_WORKFLOW]
    plans = [i.name for i in launchable if i.resource_type == idl.RESOURCE_TYPE_LAUNCH_PLAN]
    raise ValueError(
        f"{where} has no single workflow {name!r} or launch plan {name!r} "
        f"(found: {', '.join(workflows) or 'no workflows'}; "
        f"launch plans: {', '.join(plans) or 'none'})"
    )


def _follow(remote: Remote, execution: ex.Execution, *, wait: bool, json: bool) -> None:
    """Print the launched execution, follow it if asked, and exit 1 if it did not succeed."""
    if not wait:
        if json:
            print_json(execution)
        else:
            console.print(f"Launched [bold]{full_name(execution.id)}[/]")
        return
    if json:
        final = remote.wait(execution.id)
        print_json({"execution": to_dict(final), **_outputs(remote, final)})
    else:
        console.print(f"Launched [bold]{full_name(execution.id)}[/]")
        final = _watch_live(remote, execution.id)
        _print_result(remote, final)
    if final.closure.phase != ex.EXECUTION_PHASE_SUCCEEDED:
        raise typer.Exit(1)


def _outputs(remote: Remote, execution: ex.Execution) -> dict[str, object]:
    if execution.closure.phase != ex.EXECUTION_PHASE_SUCCEEDED:
        return {}
    return {"outputs": remote.outputs(execution.id)}


def list_executions(
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    workflow: Annotated[str, typer.Option(help="Only this workflow name.")] = "",
    version: Annotated[str, typer.Option(help="Only this workflow version.")] = "",
    phase: Annotated[list[str] | None, typer.Option(help="Only these phases.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """List executions, newest first."""
    phases = [_phase(p) for p in phase or []]
    with Remote(endpoint or None) as remote:
        executions = remote.list_executions(
            project, domain, workflow_name=workflow, workflow_version=version, phases=phases
        )
        found = list(itertools.islice(executions, limit))
    if json:
        print_json(found)
        return
    table(
        f"executions in {project}/{domain}",
        ["name", "workflow", "version", "phase", "created", "duration"],
        (
            (
                e.id.name,
                e.spec.workflow_id.name,
                e.spec.workflow_id.version,
                _phase_name(e.closure.phase),
                when(e.closure.created_at),
                _duration(e.closure.started_at, e.closure.finished_at),
            )
            for e in found
        ),
    )


def get_execution(
    name: ExecutionName,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    elements: Annotated[
        bool,
        typer.Option("--elements", help="List every map element (default: only those to look at)."),
    ] = False,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Show an execution: its nodes as a tree, attempts, error and outputs."""
    eid = execution_id(name, project, domain)
    with Remote(endpoint or None) as remote:
        execution = remote.execution(eid)
        nodes = remote.node_executions(eid)
        deliveries = remote.notification_deliveries(eid)
        if json:
            print_json(
                {
                    "execution": to_dict(execution),
                    "node_executions": [to_dict(n) for n in nodes],
                    "notification_deliveries": [to_dict(d) for d in deliveries],
                    **_outputs(remote, execution),
                }
            )
            return
        table = _nodes_table(execution, _workflow(remote, execution), nodes, all_elements=elements)
        console.print(table)
        if execution.spec.HasField("parent_node_execution"):
            parent = execution.spec.parent_node_execution
            console.print(
                Text(f"started by node {parent.node_id} of {full_name(parent.execution_id)}")
            )
        _print_result(remote, execution)
        for delivery in deliveries:
            console.print(Text(_delivery_line(delivery)))


def _delivery_line(delivery: nt.NotificationDelivery) -> str:
    """notify <target> on <phase>: <state> after <n> attempt(s), and the last error."""
    notification = delivery.notification
    if notification.WhichOneof("target") == "webhook":
        target = notification.webhook.url
    else:
        target = ", ".join(notification.email.recipients)
    phase = ex.ExecutionPhase.Name(delivery.phase).removeprefix("EXECUTION_PHASE_")
    state = nt.DeliveryState.Name(delivery.state).removeprefix("DELIVERY_STATE_").lower()
    attempts = len(delivery.attempts)
    line = f"notify {target} on {phase}: {state} after {attempts} attempt(s)"
    if delivery.attempts and delivery.attempts[-1].error:
        line += f" (last: {delivery.attempts[-1].error})"
    return line


def _workflow(remote: Remote, execution: ex.Execution) -> wf.Workflow:
    """The version the execution runs, which names the kind of each of its nodes."""
    workflow = remote.get(execution.spec.workflow_id)
    assert isinstance(workflow, wf.Workflow)
    return workflow


def watch_execution(
    name: ExecutionName,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Follow an execution until it ends (JSON: one line per change)."""
    eid = execution_id(name, project, domain)
    with Remote(endpoint or None) as remote:
        if json:
            for update in remote.watch(eid):
                typer.echo(jsonlib.dumps(to_dict(update), sort_keys=True))
            return
        _print_result(remote, _watch_live(remote, eid))


def relaunch(
    name: ExecutionName,
    version: Annotated[str, typer.Option(help="Run this workflow version instead.")] = "",
    latest: Annotated[bool, typer.Option(help="Run the latest workflow version.")] = False,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    wait: Wait = False,
    overwrite_cache: Annotated[bool, typer.Option(help="Recompute cached nodes.")] = False,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Run an execution's inputs again, on its own version or another one."""
    if version and latest:
        raise ValueError("give --version or --latest, not both")
    with Remote(endpoint or None) as remote:
        execution = remote.relaunch(
            execution_id(name, project, domain),
            version=version,
            latest=latest,
            overwrite_cache=overwrite_cache,
        )
        _follow(remote, execution, wait=wait, json=json)


def recover(
    name: ExecutionName,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    wait: Wait = False,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Re-run a failed execution, reusing every node that succeeded."""
    with Remote(endpoint or None) as remote:
        execution = remote.recover(execution_id(name, project, domain))
        _follow(remote, execution, wait=wait, json=json)


def terminate(
    name: ExecutionName,
    reason: Annotated[str, typer.Option(help="Recorded with the execution.")] = "",
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Stop a queued or running execution."""
    with Remote(endpoint or None) as remote:
        execution = remote.terminate(execution_id(name, project, domain), reason)
    if json:
        print_json(execution)
    else:
        console.print(f"{full_name(execution.id)}: {_phase_name(execution.closure.phase)}")


def _watch_live(remote: Remote, eid: idl.ExecutionIdentifier) -> ex.Execution:
    nodes: dict[str, ex.NodeExecution] = {}
    update = WatchExecutionResponse()
    workflow: wf.Workflow | None = None
    with Live(console=console, auto_refresh=False, transient=False) as live:
        for update in remote.watch(eid):
            if workflow is None:
                workflow = _workflow(remote, update.execution)
            for node in update.node_executions:
                nodes[node.id.node_id] = node
            table = _nodes_table(update.execution, workflow, list(nodes.values()))
            live.update(table, refresh=True)
    console.print()
    return update.execution


def _nodes_table(
    execution: ex.Execution,
    workflow: wf.Workflow | None,
    nodes: list[ex.NodeExecution],
    *,
    all_elements: bool = False,
) -> Table:
    phase = _phase_name(execution.closure.phase)
    plan = execution.spec.launch_plan_id.name
    through = f" (launch plan {escape(plan)})" if plan else ""
    t = Table(
        title=Text.from_markup(
            f"{escape(full_name(execution.id))}  {escape(execution.spec.workflow_id.name)} "
            f"[cyan]{escape(execution.spec.workflow_id.version)}[/]{through}  "
            f"[{PHASE_STYLES.get(phase, '')}]{phase}[/]"
        ),
        title_justify="left",
    )
    for column in ("node", "kind", "runs", "phase", "attempts", "cache", "duration", "detail"):
        t.add_column(column)
    for row in node_tree.rows(workflow, nodes, all_elements=all_elements):
        n = row.node
        node_phase = _node_phase_name(n.phase)
        t.add_row(
            # Nested nodes sit under their parent, one step in per level, by their full id
            # (what `cache explain` and the JSON name them by).
            Text("  " * row.depth + n.id.node_id),
            Text(row.kind),
            Text(row.target or "-"),
            Text(node_phase, style=PHASE_STYLES.get(node_phase, "")),
            Text(str(len(n.attempts))),
            Text(_cache_cell(n)),
            Text(_duration(n.started_at, n.finished_at)),
            Text(row.detail),
        )
    return t


def _cache_cell(node: ex.NodeExecution) -> str:
    """The node's cache status; a hit names the execution whose outputs it reused."""
    if node.cache_status == ex.CACHE_STATUS_UNSPECIFIED:
        return "-"  # branches, maps, gates… are not cached themselves
    status = ex.CacheStatus.Name(node.cache_status).removeprefix("CACHE_STATUS_").lower()
    source = node.source_execution_id.name
    return f"{status} ← {source}" if node.cache_status == ex.CACHE_STATUS_HIT and source else status


def _print_result(remote: Remote, execution: ex.Execution) -> None:
    if execution.closure.HasField("error"):
        error = execution.closure.error
        where = f" in node {error.node_id}" if error.node_id else ""
        console.print(
            Text(
                f"{ex.ErrorKind.Name(error.kind).removeprefix('ERROR_KIND_')} error{where}: "
                f"{error.type}: {error.message}",
                style="red",
            )
        )
        if error.traceback:
            console.print(Text(error.traceback.rstrip(), style="dim"))
    if execution.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED:
        for name, value in remote.outputs(execution.id).items():
            console.print(Text(f"{name} = {jsonlib.dumps(value, sort_keys=True)}"))


def _phase(text: str) -> ex.ExecutionPhase:
    phases = {
        # The generated stubs type Value() as int; the value is an ExecutionPhase.
        name.removeprefix("EXECUTION_PHASE_").lower(): cast(
            ex.ExecutionPhase, ex.ExecutionPhase.Value(name)
        )
        for name in ex.ExecutionPhase.keys()[1:]
    }
    if text.lower() not in phases:
        raise ValueError(f"unknown phase {text!r}; expected one of {', '.join(phases)}")
    return phases[text.lower()]


def _phase_name(phase: ex.ExecutionPhase) -> str:
    return ex.ExecutionPhase.Name(phase).removeprefix("EXECUTION_PHASE_")


def _node_phase_name(phase: ex.NodePhase) -> str:
    return ex.NodePhase.Name(phase).removeprefix("NODE_PHASE_")


def _duration(start: Timestamp, end: Timestamp) -> str:
    if not start.seconds or not end.seconds:
        return "-"
    seconds = (end.ToNanoseconds() - start.ToNanoseconds()) / 1e9
    return f"{seconds:.2f}s"
