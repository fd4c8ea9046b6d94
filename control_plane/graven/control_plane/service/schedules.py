"""Ticks of a launch plan's schedule: pure functions of the schedule and of times, no I/O.

A cron expression is read in wall time of its zone (croniter sees naive local times only,
so DST never confuses it) and each wall time is then placed on the UTC line by one rule:

- a wall time that repeats (fall back) runs once, at its first occurrence;
- a wall time that does not exist (spring forward) runs once, at the first instant after
  the gap (02:30 on the spring day in Europe/Paris runs at 03:00 CEST);
- wall times that land on one instant (every one in a gap does) are one tick.

A fixed rate ticks at every multiple of its interval since the Unix epoch, so every control
plane computes the same ticks without sharing any state but the database's.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from graven.control_plane.errors import InvalidArgument
from graven.shown import shown
from graven.v1.interface_pb2 import TypedInterface
from graven.v1.schedule_pb2 import CATCH_UP_POLICY_LATEST, Schedule
from graven.v1.types_pb2 import SIMPLE_TYPE_DATETIME

DEFAULT_MAX_CATCH_UP = 100
MAX_CATCH_UP = 10_000
# Passed-over ticks are counted up to this many (the count is informative only).
MAX_COUNTED = 10_000
# More than any zone's DST shift: wall times this far either side of an instant are searched.
WALL_MARGIN = timedelta(hours=3)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An execution name is at most 253 characters: the name's start, "-" and the hash.
MAX_NAME_LENGTH = 253
NAME_HASH_HEX = 16


@dataclass(frozen=True)
class Due:
    """The ticks to run now, oldest first, and how many the catch-up policy passed over
    before the first of them."""

    ticks: list[datetime]
    skipped: int


def check_schedule(schedule: Schedule, launched: TypedInterface, field: str) -> None:
    """InvalidArgument naming the field for a schedule that could not tick, whose kickoff
    input is not a datetime input a launch may set, or whose launches would lack an input.
    ``launched`` is the interface a launch of the launch plan sees (fixed inputs left out,
    defaults in)."""
    kind = schedule.WhichOneof("kind")
    if kind is None:
        raise InvalidArgument(field, "set cron or fixed_rate")
    if kind == "cron":
        _check_cron(schedule, f"{field}.cron")
    else:
        interval = schedule.fixed_rate.interval
        if interval.seconds < 1 or interval.nanos % 1000:
            raise InvalidArgument(
                f"{field}.fixed_rate.interval",
                "must be at least one second, in whole microseconds",
            )
    if not 0 <= schedule.max_catch_up <= MAX_CATCH_UP:
        raise InvalidArgument(f"{field}.max_catch_up", f"must be between 0 and {MAX_CATCH_UP}")
    inputs = {v.name: v for v in launched.inputs}
    kickoff = schedule.kickoff_input
    if kickoff:
        variable = inputs.get(kickoff)
        at = f"{field}.kickoff_input"
        if variable is None:
            raise InvalidArgument(
                at, f"{shown(kickoff)} is not an input a launch sets (missing or fixed)"
            )
        if variable.type.simple != SIMPLE_TYPE_DATETIME:
            raise InvalidArgument(at, f"input {shown(kickoff)} is not a datetime")
    for name, variable in inputs.items():
        if name != kickoff and not variable.HasField("default"):
            raise InvalidArgument(
                field,
                f"input {shown(name)} has no default: a scheduled launch gives only the "
                "kickoff input",
            )


def _check_cron(schedule: Schedule, field: str) -> None:
    expression = schedule.cron.expression
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise InvalidArgument(
            f"{field}.expression",
            f"{shown(expression)} is not a five-field cron expression",
        )
    try:
        zone(schedule)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(
            f"{field}.timezone", f"unknown time zone {shown(schedule.cron.timezone)}"
        ) from None
    try:
        next(ticks_after(schedule, EPOCH))
    except (StopIteration, ValueError, KeyError) as error:
        # croniter gives up on a day that never comes (0 0 30 2 *).
        raise InvalidArgument(f"{field}.expression", f"never ticks: {error}") from None


def zone(schedule: Schedule) -> ZoneInfo:
    return ZoneInfo(schedule.cron.timezone or "UTC")


def ticks_after(schedule: Schedule, after: datetime) -> Iterator[datetime]:
    """The ticks strictly after ``after``, in increasing order, without end."""
    if schedule.WhichOneof("kind") == "fixed_rate":
        step = schedule.fixed_rate.interval.ToTimedelta()
        k = (after - EPOCH) // step + 1
        while True:
            yield EPOCH + k * step
            k += 1
    tz = zone(schedule)
    wall = croniter(schedule.cron.expression, _wall(after, tz) - WALL_MARGIN)
    last = after
    while True:
        tick = _instant(wall.get_next(datetime), tz)
        if tick > last:
            last = tick
            yield tick


def ticks_until(schedule: Schedule, until: datetime) -> Iterator[datetime]:
    """The ticks at or before ``until``, in decreasing order, without end."""
    if schedule.WhichOneof("kind") == "fixed_rate":
        step = schedule.fixed_rate.interval.ToTimedelta()
        k = (until - EPOCH) // step
        while True:
            yield EPOCH + k * step
            k -= 1
    tz = zone(schedule)
    wall = croniter(schedule.cron.expression, _wall(until, tz) + WALL_MARGIN)
    last: datetime | None = None
    while True:
        tick = _instant(wall.get_prev(datetime), tz)
        if tick <= until and (last is None or tick < last):
            last = tick
            yield tick


def due_ticks(schedule: Schedule, after: datetime, now: datetime) -> Due:
    """The ticks in (after, now] to run by the schedule's catch-up policy: only the latest
    (LATEST) or the latest ``max_catch_up`` of them (ALL)."""
    if schedule.catch_up == CATCH_UP_POLICY_LATEST:
        limit = 1
    else:
        limit = schedule.max_catch_up or DEFAULT_MAX_CATCH_UP
    ticks: list[datetime] = []
    for tick in ticks_until(schedule, now):
        if tick <= after or len(ticks) == limit:
            break
        ticks.append(tick)
    ticks.reverse()
    skipped = 0
    if ticks:
        for tick in ticks_after(schedule, after):
            if tick >= ticks[0] or skipped == MAX_COUNTED:
                break
            skipped += 1
    return Due(ticks, skipped)


def next_ticks(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    ticks = ticks_after(schedule, after)
    return [next(ticks) for _ in range(count)]


def execution_name(launch_plan_name: str, tick: datetime) -> str:
    """The one execution a tick launches, named alike on every control plane."""
    key = f"{launch_plan_name}@{tick.astimezone(UTC).isoformat()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:NAME_HASH_HEX]
    return f"{launch_plan_name[: MAX_NAME_LENGTH - NAME_HASH_HEX - 1]}-{digest}"


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall time by the rule of the module docstring."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == wall:
        return first
    # In a gap: the wall time read with the offset after the transition is before it, with
    # the offset before it after it; zone transitions fall on whole seconds.
    low = math.floor(wall.replace(tzinfo=tz, fold=1).timestamp())
    high = math.ceil(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), tz) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
