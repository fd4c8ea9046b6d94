"""``Cron`` and ``FixedRate``: when a launch plan runs on its own once activated
(``graven launchplans activate NAME``). The schedule is part of the launch plan's spec, so
changing it registers a new version; the control plane checks it again at registration.

``kickoff_input`` names a ``datetime`` input of the workflow that receives the tick's time
(UTC). ``catch_up`` says what runs after the scheduler was down through several ticks:
``"all"`` (the latest ``max_catch_up`` of them, 100 by default) or ``"latest"`` (one).
"""

from __future__ import annotations

from datetime import timedelta

from graven.errors import GravenDefinitionError
from graven.v1.schedule_pb2 import (
    CATCH_UP_POLICY_ALL,
    CATCH_UP_POLICY_LATEST,
    CronSchedule,
    FixedRateSchedule,
    Schedule,
)

CATCH_UP = {"all": CATCH_UP_POLICY_ALL, "latest": CATCH_UP_POLICY_LATEST}


class _Schedule:
    def __init__(self, kickoff_input: str, catch_up: str, max_catch_up: int) -> None:
        if not isinstance(kickoff_input, str):
            raise GravenDefinitionError(f"kickoff_input must be a str, got {kickoff_input!r}")
        if catch_up not in CATCH_UP:
            raise GravenDefinitionError(
                f"catch_up must be one of {', '.join(CATCH_UP)}, got {catch_up!r}"
            )
        if not isinstance(max_catch_up, int) or max_catch_up < 0:
            raise GravenDefinitionError(f"max_catch_up must be an int >= 0, got {max_catch_up!r}")
        self.kickoff_input = kickoff_input
        self.catch_up = catch_up
        self.max_catch_up = max_catch_up

    def proto(self) -> Schedule:
        return Schedule(
            kickoff_input=self.kickoff_input,
            catch_up=CATCH_UP[self.catch_up],
            max_catch_up=self.max_catch_up,
        )


class Cron(_Schedule):
    """A five-field cron expression read in an IANA time zone ("Europe/Paris"; UTC by
    default). On DST days a wall time that repeats runs once (its first occurrence) and one
    that does not exist runs once (when the clock jumps past it)."""

    def __init__(
        self,
        expression: str,
        timezone: str = "UTC",
        kickoff_input: str = "",
        catch_up: str = "all",
        max_catch_up: int = 0,
    ) -> None:
        super().__init__(kickoff_input, catch_up, max_catch_up)
        if not isinstance(expression, str) or len(expression.split()) != 5:
            raise GravenDefinitionError(f"Cron: {expression!r} is not a five-field cron expression")
        self.expression = expression
        self.timezone = timezone

    def proto(self) -> Schedule:
        schedule = super().proto()
        schedule.cron.CopyFrom(CronSchedule(expression=self.expression, timezone=self.timezone))
        return schedule

    def __repr__(self) -> str:
        return f"Cron({self.expression!r}, timezone={self.timezone!r})"


class FixedRate(_Schedule):
    """Every ``interval`` (at least a second), at the multiples of it since 1970-01-01 UTC:
    ``FixedRate(timedelta(hours=6))`` runs at 00:00, 06:00, 12:00 and 18:00 UTC."""

    def __init__(
        self,
        interval: timedelta,
        kickoff_input: str = "",
        catch_up: str = "all",
        max_catch_up: int = 0,
    ) -> None:
        super().__init__(kickoff_input, catch_up, max_catch_up)
        if not isinstance(interval, timedelta) or interval < timedelta(seconds=1):
            raise GravenDefinitionError(
                f"FixedRate: the interval must be a timedelta of at least a second, got "
                f"{interval!r}"
            )
        self.interval = interval

    def proto(self) -> Schedule:
        schedule = super().proto()
        rate = FixedRateSchedule()
        rate.interval.FromTimedelta(self.interval)
        schedule.fixed_rate.CopyFrom(rate)
        return schedule

    def __repr__(self) -> str:
        return f"FixedRate({self.interval!r})"
