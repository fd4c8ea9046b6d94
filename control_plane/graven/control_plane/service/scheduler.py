"""The scheduler: each pass claims the due ticks of every active launch plan, then launches
the claimed ticks not launched yet, its own and those of a scheduler that died mid-tick.

Exactly one execution per tick, with any number of control planes on one database, rests
on two things and no lock: the claim is an insert that only one scheduler's row survives
(the tick's unique key), and the launch is idempotent, because the execution's name is a
function of (launch plan name, tick) and creating a taken name answers AlreadyExists, which
means that tick's execution exists. A crash between claim and launch leaves the tick
claimed; the next pass of any scheduler launches it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from graven.control_plane.errors import AlreadyExists, ServiceError
from graven.control_plane.persistence.schedule_models import ActivationRow, TickRow
from graven.control_plane.persistence.schedule_repository import (
    NewTick,
    PlanName,
    ScheduleRepository,
)
from graven.control_plane.service.clock import Clock
from graven.control_plane.service.schedules import due_ticks, execution_name
from graven.literals import to_literal
from graven.v1 import execution_service_pb2 as es
from graven.v1.identifier_pb2 import RESOURCE_TYPE_LAUNCH_PLAN, Identifier
from graven.v1.launch_plan_pb2 import LaunchPlan
from graven.v1.schedule_service_pb2 import (
    TICK_STATE_CLAIMED,
    TICK_STATE_FAILED,
    TICK_STATE_LAUNCHED,
)

log = logging.getLogger(__name__)

# Claimed ticks launched per pass; the rest wait for the next pass.
LAUNCHES_PER_PASS = 200

LaunchPlans = Callable[[Identifier], LaunchPlan]
Launch = Callable[[es.CreateExecutionRequest], object]


def launch_plan_id(name: PlanName, version: str = "") -> Identifier:
    project, domain, plan = name
    return Identifier(
        resource_type=RESOURCE_TYPE_LAUNCH_PLAN,
        project=project,
        domain=domain,
        name=plan,
        version=version,
    )


class Scheduler:
    """``launch_plans`` reads an exact version (they never change, so it may cache);
    ``launch`` is ExecutionService.create_execution."""

    def __init__(
        self,
        repository: ScheduleRepository,
        launch_plans: LaunchPlans,
        launch: Launch,
        clock: Clock,
    ) -> None:
        self._repository = repository
        self._launch_plans = launch_plans
        self._launch = launch
        self._clock = clock

    def run_once(self) -> int:
        """One pass; the number of executions this pass created."""
        now = self._clock()
        self._claim_due(now)
        launched = 0
        for tick in self._repository.in_state(TICK_STATE_CLAIMED, LAUNCHES_PER_PASS):
            launched += self._launch_tick(tick)
        return launched

    def _claim_due(self, now: datetime) -> None:
        last_ticks = self._repository.last_ticks()
        claims: list[NewTick] = []
        for activation in self._repository.activations():
            claims.extend(self._due(activation, last_ticks, now))
        if claims:
            self._repository.claim(claims, TICK_STATE_CLAIMED, now)

    def _due(
        self, activation: ActivationRow, last_ticks: dict[PlanName, datetime], now: datetime
    ) -> list[NewTick]:
        name = (activation.project, activation.domain, activation.name)
        plan = self._launch_plans(launch_plan_id(name, activation.version))
        # Ticks before the activation are not this activation's to catch up on.
        after = max(activation.activated_at, last_ticks.get(name, activation.activated_at))
        due = due_ticks(plan.spec.schedule, after, now)
        return [
            NewTick(
                name,
                activation.version,
                tick,
                execution_name(activation.name, tick),
                due.skipped if i == 0 else 0,
            )
            for i, tick in enumerate(due.ticks)
        ]

    def _launch_tick(self, tick: TickRow) -> int:
        name = (tick.project, tick.domain, tick.name)
        plan = self._launch_plans(launch_plan_id(name, tick.version))
        request = es.CreateExecutionRequest(
            project=tick.project,
            domain=tick.domain,
            name=tick.execution_name,
            launch_plan_id=plan.id,
        )
        kickoff = plan.spec.schedule.kickoff_input
        if kickoff:
            request.inputs.literals[kickoff].CopyFrom(to_literal(tick.tick_at, datetime))
        created, state, error = 0, TICK_STATE_LAUNCHED, ""
        try:
            self._launch(request)
            created = 1
        except AlreadyExists:
            pass  # this tick's execution exists: another scheduler (or an earlier pass) made it
        except ServiceError as refused:
            # The launch plan cannot launch (say, an input without a default); trying again
            # would be refused again.
            state, error = TICK_STATE_FAILED, str(refused)
        self._repository.finish(tick.id, TICK_STATE_CLAIMED, state, self._clock(), error)
        return created
