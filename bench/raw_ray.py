"""Raw Ray running the DAG shapes Graven is measured on, for the ratio beside each figure.

The tasks do nothing, so what is timed is Ray's own cost of scheduling the shape: a chain of
N tasks each taking the previous one's result (Ray resolves the dependency; the driver waits
only for the last), N independent leaves gathered by the driver, and K such runs submitted
at once. A map is one task making ``list(range(n))`` and then
``ray.get([noop.remote(x) for x in xs])`` with Graven's element function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import ray

from bench.shapes import Shape


def _noop(*_: object) -> None:
    return None


@functools.cache
def _remote_noop() -> Any:
    # One remote function for every shape: Ray exports it once, on its first call.
    return ray.remote(max_retries=0)(_noop)


def _numbers(n: int) -> list[int]:
    return list(range(n))


def _identity(x: int) -> int:
    return x


@functools.cache
def _remote_map() -> tuple[Any, Any]:
    return ray.remote(max_retries=0)(_numbers), ray.remote(max_retries=0)(_identity)


def map_runner(size: int) -> Callable[[], None]:
    """One map over ``size`` elements, the list made by a task as Graven's upstream node
    makes it."""
    numbers, noop = _remote_map()

    def once() -> None:
        xs = ray.get(numbers.remote(size))
        ray.get([noop.remote(x) for x in xs])

    return once


def runner(shape: Shape) -> Callable[[], None]:
    """One run of ``shape`` on the Ray cluster this process is connected to."""
    noop = _remote_noop()

    def chain() -> list[Any]:
        ref = noop.remote()
        for _ in range(shape.size - 1):
            ref = noop.remote(ref)
        return [ref]

    def fan_out() -> list[Any]:
        return [noop.remote() for _ in range(shape.size)]

    build = chain if shape.kind == "chain" else fan_out

    def once() -> None:
        refs: list[Any] = []
        for _ in range(shape.runs):
            refs += build()
        ray.get(refs)

    return once
