"""`graven launchplans`: which launch plan versions run on their own, their next ticks,
and the ticks they ran."""

from __future__ import annotations

from typing import Annotated

import typer

from graven.cli.options import DEFAULT_DOMAIN, DEFAULT_PROJECT, Domain, Endpoint, Json, Project
from graven.cli.output import console, print_json, table, when
from graven.remote import Remote
from graven.v1 import schedule_service_pb2 as ss
from graven.v1.schedule_pb2 import CATCH_UP_POLICY_LATEST, Schedule

launchplans_app = typer.Typer(
    help="Schedules: activate launch plans, list the active ones and their ticks.",
    no_args_is_help=True,
)
Name = Annotated[str, typer.Argument(help="The launch plan's name.")]
Version = Annotated[str, typer.Option("--version", "-v", help="Default: the latest.")]
TICK_STATES = {
    ss.TICK_STATE_CLAIMED: "claimed",
    ss.TICK_STATE_LAUNCHED: "launched",
    ss.TICK_STATE_FAILED: "failed",
}


def install(app: typer.Typer) -> None:
    app.add_typer(launchplans_app, name="launchplans")
    launchplans_app.command()(activate)
    launchplans_app.command()(deactivate)
    launchplans_app.command("list")(list_active)
    launchplans_app.command()(ticks)


def activate(
    name: Name,
    version: Version = "",
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    endpoint: Endpoint = "",
) -> None:
    """Run a launch plan version on its schedule; its name's other versions stop."""
    with Remote(endpoint or None) as remote:
        active = remote.activate_launch_plan(name, project, domain, version)
    console.print(
        f"Activated {name} {active.id.version} ({describe(active.schedule)}); next: "
        f"{', '.join(when(t) for t in active.next_ticks)}",
        markup=False,
    )


def deactivate(
    name: Name,
    version: Version = "",
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    endpoint: Endpoint = "",
) -> None:
    """Stop a launch plan's schedule (only if VERSION is the active one, when given)."""
    with Remote(endpoint or None) as remote:
        deactivated = remote.deactivate_launch_plan(name, project, domain, version)
    if deactivated is None:
        console.print(f"{name}: no active version{' ' + version if version else ''}.")
    else:
        console.print(f"Deactivated {name} {deactivated.version}.", markup=False)


def list_active(
    project: Annotated[str, typer.Option("--project", "-p", help="Default: all.")] = "",
    domain: Annotated[str, typer.Option("--domain", "-d", help="Default: all.")] = "",
    next_ticks: Annotated[int, typer.Option("--next", help="Next ticks shown.")] = 3,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """The active launch plan versions, their schedules and next ticks."""
    with Remote(endpoint or None) as remote:
        active = list(remote.active_launch_plans(project, domain, next_ticks))
    if json:
        print_json(active)
        return
    table(
        "Active launch plans",
        ["PROJECT", "DOMAIN", "NAME", "VERSION", "SCHEDULE", "NEXT TICKS", "ACTIVATED"],
        (
            [
                a.id.project,
                a.id.domain,
                a.id.name,
                a.id.version,
                describe(a.schedule),
                ", ".join(when(t) for t in a.next_ticks),
                when(a.activated_at),
            ]
            for a in active
        ),
    )


def ticks(
    name: Name,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    limit: Annotated[int, typer.Option(help="The newest this many.")] = 20,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """A launch plan's ticks, newest first, and what became of them."""
    with Remote(endpoint or None) as remote:
        found: list[ss.ScheduleTick] = []
        for tick in remote.schedule_ticks(name, project, domain):
            if len(found) == limit:
                break
            found.append(tick)
    if json:
        print_json(found)
        return
    table(
        f"Ticks of {name}",
        ["TICK", "VERSION", "STATE", "EXECUTION", "SKIPPED BEFORE", "ERROR"],
        (
            [
                when(t.tick_at),
                t.launch_plan_id.version,
                TICK_STATES.get(t.state, "?"),
                t.execution_id.name,
                str(t.skipped_before),
                t.error,
            ]
            for t in found
        ),
    )


def describe(schedule: Schedule) -> str:
    """The schedule in a few words: 'cron 0 2 * * * (Europe/Paris)', 'every 0:00:05'."""
    if schedule.WhichOneof("kind") == "cron":
        words = f"cron {schedule.cron.expression} ({schedule.cron.timezone or 'UTC'})"
    else:
        words = f"every {schedule.fixed_rate.interval.ToTimedelta()}"
    if schedule.catch_up == CATCH_UP_POLICY_LATEST:
        return f"{words}, catch up: latest"
    return f"{words}, catch up: all (at most {schedule.max_catch_up or 100})"
