"""The options a task is declared with: caching and resources, and how they become protos."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from graven.errors import GravenDefinitionError
from graven.v1.task_pb2 import CachePolicy
from graven.v1.task_pb2 import Resources as ResourcesProto

MEMORY = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[kmgtp]i?)?b?", re.IGNORECASE)
MEMORY_UNITS = {
    "": 1,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "t": 10**12,
    "p": 10**15,
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
    "ti": 2**40,
    "pi": 2**50,
}


@dataclass(frozen=True)
class Cache:
    """Cache a task's outputs by its inputs' content.

    The key holds the code digest, so any change to the task's code closure starts a fresh
    cache; an explicit ``version`` replaces the code digest in the key, so cosmetic edits
    keep the cache until the version is bumped. ``ignore_inputs`` leaves inputs out of the
    key (a log level, a progress callback URL).
    """

    version: str = ""
    ignore_inputs: Sequence[str] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.version, str):
            raise GravenDefinitionError(f"Cache: version must be a str, got {self.version!r}")
        if isinstance(self.ignore_inputs, str) or not all(
            isinstance(name, str) for name in self.ignore_inputs
        ):
            raise GravenDefinitionError(
                f"Cache: ignore_inputs must be a list of input names, got {self.ignore_inputs!r}"
            )
        object.__setattr__(self, "ignore_inputs", tuple(self.ignore_inputs))

    def policy(self) -> CachePolicy:
        return CachePolicy(
            enabled=True, version=self.version, ignore_inputs=sorted(set(self.ignore_inputs))
        )


@dataclass(frozen=True)
class Resources:
    """What one attempt asks of the cluster. ``None`` leaves the choice to the data plane.

    ``memory`` is bytes, or a string with a unit: "512Mi", "2Gi" (binary) or "500M", "2G"
    (decimal). ``custom`` names Ray custom resources.
    """

    cpus: float | None = None
    gpus: float | None = None
    memory: int | str | None = None
    custom: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("cpus", "gpus"):
            _check_amount(f"Resources: {name}", getattr(self, name))
        for key, amount in self.custom.items():
            if not isinstance(key, str) or not key:
                raise GravenDefinitionError(f"Resources: custom resource name {key!r} is not text")
            _check_amount(f"Resources: custom[{key!r}]", amount)
        if self.memory is not None:
            memory_bytes(self.memory)
        object.__setattr__(self, "custom", dict(sorted(self.custom.items())))

    def proto(self) -> ResourcesProto:
        return ResourcesProto(
            cpus=self.cpus or 0.0,
            gpus=self.gpus or 0.0,
            memory_bytes=0 if self.memory is None else memory_bytes(self.memory),
            custom=dict(self.custom),
        )


def _check_amount(where: str, amount: object) -> None:
    if amount is None:
        return
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int | float)
        or not math.isfinite(amount)
        or amount < 0
    ):
        raise GravenDefinitionError(f"{where} must be a non-negative number, got {amount!r}")


def memory_bytes(memory: int | str) -> int:
    """Bytes from an int or a string such as "512Mi", "2Gi", "1.5G", "1024"."""
    if isinstance(memory, int) and not isinstance(memory, bool):
        if memory < 0:
            raise GravenDefinitionError(f"Resources: memory must not be negative, got {memory}")
        return memory
    match = MEMORY.fullmatch(memory.strip()) if isinstance(memory, str) else None
    if match is None:
        raise GravenDefinitionError(
            f"Resources: memory {memory!r} is not bytes or a size such as '512Mi' or '2Gi'"
        )
    unit = (match.group("unit") or "").lower()
    return int(float(match.group("number")) * MEMORY_UNITS[unit])


def timeout_duration(timeout: float | datetime.timedelta | None) -> datetime.timedelta | None:
    """A task timeout: seconds or a timedelta, strictly positive."""
    if timeout is None:
        return None
    if isinstance(timeout, datetime.timedelta):
        duration = timeout
    elif isinstance(timeout, int | float) and not isinstance(timeout, bool):
        if not math.isfinite(timeout):
            raise GravenDefinitionError(f"timeout must be finite, got {timeout!r}")
        duration = datetime.timedelta(seconds=timeout)
    else:
        raise GravenDefinitionError(
            f"timeout must be seconds or a timedelta, got {type(timeout).__name__} {timeout!r}"
        )
    if duration <= datetime.timedelta(0):
        raise GravenDefinitionError(f"timeout must be positive, got {duration}")
    return duration
