"""The backfill's throttle and idempotence against an execution service played in memory
(the end-to-end run is tests/cli/test_cli_launchplans.py): never more than ``parallel``
unfinished executions, all of them used, and an existing name counted, not created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graven.backfill import Backfill, backfill_ticks
from graven.v1 import execution_pb2 as ex
from graven.v1 import execution_service_pb2 as es
from graven.v1.identifier_pb2 import RESOURCE_TYPE_LAUNCH_PLAN, Identifier
from graven.v1.launch_plan_pb2 import LaunchPlan, LaunchPlanSpec
from graven.v1.schedule_pb2 import FixedRateSchedule, Schedule

START = datetime(2026, 1, 1, tzinfo=UTC)


class Taken(grpc.RpcError):
    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.ALREADY_EXISTS


class Executions:
    """Each execution finishes after ``lasts`` waits of the backfill."""

    def __init__(self, lasts: int, existing: set[str]) -> None:
        self.lasts = lasts
        self.names = set(existing)
        self.remaining: dict[str, int] = {}
        self.most_unfinished = 0

    def wait(self, _seconds: float) -> None:
        for name in self.remaining:
            self.remaining[name] = max(0, self.remaining[name] - 1)

    def CreateExecution(self, request: es.CreateExecutionRequest) -> es.CreateExecutionResponse:  # noqa: N802
        if request.name in self.names:
            raise Taken()
        self.names.add(request.name)
        self.remaining[request.name] = self.lasts
        unfinished = sum(1 for left in self.remaining.values() if left)
        self.most_unfinished = max(self.most_unfinished, unfinished)
        execution = ex.Execution()
        execution.id.project, execution.id.domain = request.project, request.domain
        execution.id.name = request.name
        return es.CreateExecutionResponse(execution=execution)

    def GetExecution(self, request: es.GetExecutionRequest) -> es.GetExecutionResponse:  # noqa: N802
        left = self.remaining[request.id.name]
        phase = ex.EXECUTION_PHASE_RUNNING if left else ex.EXECUTION_PHASE_SUCCEEDED
        execution = ex.Execution(id=request.id)
        execution.closure.phase = phase
        return es.GetExecutionResponse(execution=execution)


def hourly() -> LaunchPlan:
    schedule = Schedule(fixed_rate=FixedRateSchedule(), kickoff_input="run_at")
    schedule.fixed_rate.interval.FromSeconds(3600)
    plan_id = Identifier(
        resource_type=RESOURCE_TYPE_LAUNCH_PLAN, project="p", domain="d", name="lp", version="v"
    )
    return LaunchPlan(id=plan_id, spec=LaunchPlanSpec(schedule=schedule))


@given(
    count=st.integers(1, 60),
    parallel=st.integers(1, 8),
    lasts=st.integers(1, 5),
    existing=st.integers(0, 10),
)
def test_at_most_parallel_unfinished_and_existing_ticks_are_not_created_again(
    count: int, parallel: int, lasts: int, existing: int
) -> None:
    plan = hourly()
    ticks = backfill_ticks(plan.spec.schedule, START, START + timedelta(hours=count - 1))
    assert len(ticks) == count
    first = Executions(lasts, set())
    done = Backfill(first, plan, parallel, wait=first.wait).run(ticks[:existing])  # type: ignore[arg-type]
    service = Executions(lasts, first.names)
    done = Backfill(service, plan, parallel, wait=service.wait).run(ticks)  # type: ignore[arg-type]
    already = min(existing, count)
    assert (done.created, done.existing, done.finished) == (count - already, already, count)
    assert service.most_unfinished == min(parallel, count - already)
    assert not any(service.remaining.values())


def test_a_reversed_range_is_refused() -> None:
    with pytest.raises(ValueError, match="is before"):
        backfill_ticks(hourly().spec.schedule, START, START - timedelta(hours=1))
