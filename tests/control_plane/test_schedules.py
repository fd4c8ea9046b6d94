"""Tick computation (pure): cron in zones across DST days, fixed rates, catch-up policies,
deterministic execution names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.schedules import (
    check_schedule,
    due_ticks,
    execution_name,
    next_ticks,
    ticks_after,
    ticks_until,
)
from graven.names import name_problem
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.literals_pb2 import Literal, Primitive
from graven.v1.schedule_pb2 import (
    CATCH_UP_POLICY_ALL,
    CATCH_UP_POLICY_LATEST,
    CronSchedule,
    FixedRateSchedule,
    Schedule,
)
from graven.v1.types_pb2 import SIMPLE_TYPE_DATETIME, SIMPLE_TYPE_STRING, LiteralType

PARIS = "Europe/Paris"
ZONES = ["UTC", PARIS, "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]
EXPRESSIONS = [
    "30 2 * * *",
    "0 * * * *",
    "*/15 1-3 * * *",
    "0 0 * * 0",
    "45 23 31 12 *",
    "5 4 1 * *",
]


def cron(expression: str, timezone: str = "", **fields: object) -> Schedule:
    return Schedule(cron=CronSchedule(expression=expression, timezone=timezone), **fields)  # type: ignore[arg-type]


def every(seconds: int, **fields: object) -> Schedule:
    schedule = Schedule(fixed_rate=FixedRateSchedule(), **fields)  # type: ignore[arg-type]
    schedule.fixed_rate.interval.FromSeconds(seconds)
    return schedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def ticks_between(schedule: Schedule, after: datetime, until: datetime) -> list[datetime]:
    ticks: list[datetime] = []
    for tick in ticks_after(schedule, after):
        if tick > until:
            return ticks
        ticks.append(tick)
    raise AssertionError("unreachable")


@pytest.mark.parametrize("day", ["2026-03-29", "2026-10-25"])
def test_0230_paris_runs_once_on_both_dst_days(day: str) -> None:
    schedule = cron("30 2 * * *", PARIS)
    start = at(f"{day}T00:00:00+00:00") - timedelta(hours=2)
    ticks = ticks_between(schedule, start, start + timedelta(days=1))
    assert len(ticks) == 1
    local = ticks[0].astimezone(ZoneInfo(PARIS))
    # Spring: 02:30 does not exist and runs at the end of the gap; autumn: the first 02:30.
    assert (local.hour, local.minute, local.fold) == (
        (3, 0, 0) if day.endswith("29") else (2, 30, 0)
    )
    assert local.utcoffset() == timedelta(hours=2)


@settings(max_examples=60, deadline=None)
@given(
    expression=st.sampled_from(EXPRESSIONS),
    timezone=st.sampled_from(ZONES),
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2037, 1, 1), timezones=st.just(UTC)
    ),
)
def test_ticks_increase_match_the_expression_and_agree_both_ways(
    expression: str, timezone: str, start: datetime
) -> None:
    schedule = cron(expression, timezone)
    forward = next_ticks(schedule, start, 6)
    assert forward == sorted(set(forward))
    assert forward[0] > start
    backward = []
    for tick in ticks_until(schedule, forward[-1]):
        if tick <= start:
            break
        backward.append(tick)
    assert backward[::-1] == forward
    tz = ZoneInfo(timezone)
    for tick in forward:
        local = tick.astimezone(tz)
        # A tick is a matching wall time, or the first second after a DST gap.
        at_a_gap = (tick - timedelta(seconds=1)).astimezone(tz).utcoffset() != local.utcoffset()
        assert croniter.match(expression, local.replace(tzinfo=None)) or at_a_gap


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.integers(1, 100_000),
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2037, 1, 1), timezones=st.just(UTC)
    ),
    missed=st.integers(0, 30),
    limit=st.integers(1, 10),
)
def test_catch_up_all_is_bounded_and_latest_is_one(
    seconds: int, start: datetime, missed: int, limit: int
) -> None:
    schedule = every(seconds, catch_up=CATCH_UP_POLICY_ALL, max_catch_up=limit)
    last = next_ticks(schedule, start, 1)[0]
    now = last + timedelta(seconds=seconds * missed)
    due = due_ticks(schedule, last, now)
    expected = [last + timedelta(seconds=seconds * k) for k in range(1, missed + 1)]
    assert due.ticks == expected[-limit:] if expected else due.ticks == []
    assert due.skipped == max(0, missed - limit)
    latest = due_ticks(every(seconds, catch_up=CATCH_UP_POLICY_LATEST), last, now)
    assert latest.ticks == expected[-1:]
    assert latest.skipped == max(0, missed - 1)


def test_a_downtime_of_five_ticks_runs_five_or_one() -> None:
    start = at("2026-01-01T00:00:00+00:00")
    assert len(due_ticks(every(5), start, start + timedelta(seconds=27)).ticks) == 5
    assert len(due_ticks(cron("* * * * *", PARIS), start, start + timedelta(minutes=5)).ticks) == 5
    latest = due_ticks(
        cron("* * * * *", catch_up=CATCH_UP_POLICY_LATEST), start, start + timedelta(minutes=5)
    )
    assert latest.ticks == [start + timedelta(minutes=5)]
    assert latest.skipped == 4


@given(
    name=st.from_regex(r"[a-z0-9][a-z0-9._-]{0,252}", fullmatch=True), seconds=st.integers(0, 2**31)
)
def test_execution_names_are_valid_and_deterministic(name: str, seconds: int) -> None:
    tick = datetime.fromtimestamp(seconds, UTC)
    assert execution_name(name, tick) == execution_name(name, tick.astimezone(ZoneInfo(PARIS)))
    assert name_problem("name", execution_name(name, tick)) is None
    assert execution_name(name, tick) != execution_name(name, tick + timedelta(seconds=1))


LABEL = Literal(primitive=Primitive(string_value="nightly"))
INTERFACE = TypedInterface(
    inputs=[
        Variable(name="run_at", type=LiteralType(simple=SIMPLE_TYPE_DATETIME)),
        Variable(name="label", type=LiteralType(simple=SIMPLE_TYPE_STRING), default=LABEL),
    ]
)


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        (Schedule(), "schedule"),
        (cron("61 * * * *"), "schedule.cron.expression"),
        (cron("* * * * * *"), "schedule.cron.expression"),
        (cron("0 0 30 2 *"), "schedule.cron.expression"),
        (cron("0 2 * * *", "Mars/Olympus"), "schedule.cron.timezone"),
        (cron("0 2 * * *", "../etc"), "schedule.cron.timezone"),
        (every(0), "schedule.fixed_rate.interval"),
        (cron("0 2 * * *", kickoff_input="missing"), "schedule.kickoff_input"),
        (cron("0 2 * * *", kickoff_input="label"), "schedule.kickoff_input"),
        (every(60, max_catch_up=-1), "schedule.max_catch_up"),
        # A scheduled launch gives only the kickoff: run_at needs it or a default.
        (every(60), "schedule"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(schedule: Schedule, field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_schedule(schedule, INTERFACE, "schedule")
    assert refused.value.field == field


def test_good_schedules_pass() -> None:
    check_schedule(cron("0 2 * * *", PARIS, kickoff_input="run_at"), INTERFACE, "schedule")
    check_schedule(every(5, kickoff_input="run_at"), INTERFACE, "schedule")
