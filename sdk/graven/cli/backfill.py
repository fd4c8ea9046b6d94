"""`graven backfill`: one execution per tick of a launch plan's schedule over a past range,
idempotent, at most --parallel unfinished at once, with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress as Bar

from graven.backfill import Backfill, Progress, backfill_ticks
from graven.cli.options import DEFAULT_DOMAIN, DEFAULT_PROJECT, Domain, Endpoint, Project
from graven.cli.output import console
from graven.remote import Remote
from graven.remote_schedules import launch_plan_id
from graven.timeformats import parse_datetime
from graven.v1.registry_service_pb2 import GetLaunchPlanRequest


def install(app: typer.Typer) -> None:
    app.command()(backfill)


def backfill(
    launch_plan: Annotated[str, typer.Argument(help="The launch plan's name.")],
    start: Annotated[str, typer.Option("--from", help="ISO 8601, with a zone; included.")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601, with a zone; included.")],
    parallel: Annotated[int, typer.Option(help="Unfinished executions at most.")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the ticks only.")] = False,
    version: Annotated[str, typer.Option("--version", "-v", help="Default: the latest.")] = "",
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    endpoint: Endpoint = "",
) -> None:
    """Run LAUNCH_PLAN once per tick of its schedule in [--from, --to]; ticks whose
    execution exists (an earlier backfill, the scheduler) are left as they are."""
    if parallel < 1:
        raise ValueError(f"--parallel must be at least 1, got {parallel}")
    with Remote(endpoint or None) as remote:
        identifier = launch_plan_id(launch_plan, project, domain, version)
        plan = remote.registry.GetLaunchPlan(GetLaunchPlanRequest(id=identifier)).launch_plan
        if not plan.spec.HasField("schedule"):
            raise ValueError(f"launch plan {launch_plan} {plan.id.version} has no schedule")
        ticks = backfill_ticks(plan.spec.schedule, parse_datetime(start), parse_datetime(end))
        if dry_run:
            for tick in ticks:
                console.print(tick.isoformat(), markup=False)
            console.print(f"{len(ticks)} ticks of {launch_plan} {plan.id.version}")
            return
        with Bar(console=console, transient=True) as bar:
            task = bar.add_task(f"backfill {launch_plan}", total=len(ticks))

            def shown(progress: Progress) -> None:
                bar.update(task, completed=progress.finished)

            done = Backfill(remote.executions, plan, parallel, shown).run(ticks)
    console.print(
        f"{launch_plan} {plan.id.version}: {len(ticks)} ticks, {done.created} executions "
        f"created, {done.existing} existed already",
        markup=False,
    )
