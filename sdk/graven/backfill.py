"""Backfill: one execution per tick of a launch plan's schedule over a past range, named as
the scheduler names a tick's execution, so running a backfill again (or over ticks the
scheduler already ran) creates nothing new; at most ``parallel`` of its executions are
unfinished at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc

from graven.control_plane.execution_phases import EXECUTION_TERMINAL
from graven.control_plane.service.schedules import execution_name, ticks_after
from graven.literals import to_literal
from graven.v1 import execution_service_pb2 as es
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.launch_plan_pb2 import LaunchPlan
from graven.v1.schedule_pb2 import Schedule

MAX_TICKS = 10_000
POLL_SECONDS = 0.5


def backfill_ticks(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """The ticks in [start, end]; ValueError for a reversed or too large range."""
    if end < start:
        raise ValueError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    ticks: list[datetime] = []
    for tick in ticks_after(schedule, start - timedelta(microseconds=1)):
        if tick > end:
            return ticks
        if len(ticks) == MAX_TICKS:
            raise ValueError(f"the range holds more than {MAX_TICKS} ticks: backfill less")
        ticks.append(tick)
    raise AssertionError("a schedule's ticks never end")


@dataclass
class Progress:
    created: int = 0
    existing: int = 0
    finished: int = 0


class Backfill:
    """``executions`` is an ExecutionService stub; ``on_progress`` sees every change;
    ``wait`` is how long to pause between looks at unfinished executions."""

    def __init__(
        self,
        executions: ExecutionServiceStub,
        plan: LaunchPlan,
        parallel: int,
        on_progress: Callable[[Progress], None] = lambda _: None,
        wait: Callable[[float], None] = time.sleep,
    ) -> None:
        if parallel < 1:
            raise ValueError(f"--parallel must be at least 1, got {parallel}")
        self._executions = executions
        self._plan = plan
        self._parallel = parallel
        self._on_progress = on_progress
        self._wait = wait
        self.progress = Progress()

    def run(self, ticks: list[datetime]) -> Progress:
        unfinished: list[ExecutionIdentifier] = []
        for tick in ticks:
            while len(unfinished) >= self._parallel:
                unfinished = self._still_running(unfinished)
                if len(unfinished) >= self._parallel:
                    self._wait(POLL_SECONDS)
            execution_id = self._launch(tick)
            if execution_id is not None:
                unfinished.append(execution_id)
            self._on_progress(self.progress)
        while unfinished:
            unfinished = self._still_running(unfinished)
            if unfinished:
                self._wait(POLL_SECONDS)
        return self.progress

    def _launch(self, tick: datetime) -> ExecutionIdentifier | None:
        """The new execution's id; None when the tick's execution existed already."""
        plan = self._plan
        request = es.CreateExecutionRequest(
            project=plan.id.project,
            domain=plan.id.domain,
            name=execution_name(plan.id.name, tick),
            launch_plan_id=plan.id,
        )
        kickoff = plan.spec.schedule.kickoff_input
        if kickoff:
            request.inputs.literals[kickoff].CopyFrom(to_literal(tick, datetime))
        try:
            created = self._executions.CreateExecution(request).execution
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.ALREADY_EXISTS:
                raise
            self.progress.existing += 1
            self.progress.finished += 1
            return None
        self.progress.created += 1
        return ExecutionIdentifier(
            project=created.id.project, domain=created.id.domain, name=created.id.name
        )

    def _still_running(self, ids: list[ExecutionIdentifier]) -> list[ExecutionIdentifier]:
        running = []
        for execution_id in ids:
            request = es.GetExecutionRequest(id=execution_id)
            phase = self._executions.GetExecution(request).execution.closure.phase
            if phase in EXECUTION_TERMINAL:
                self.progress.finished += 1
                self._on_progress(self.progress)
            else:
                running.append(execution_id)
        return running
