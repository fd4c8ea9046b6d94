"""Raw Ray running the DAG shapes Graven is measured on, for the ratio beside each figure.

The tasks do nothing, so what is timed is Ray's own cost of scheduling the shape: a chain of
N tasks each taking the previous one's result (Ray resolves the dependency; the driver waits
only for the last), N independent leaves gathered by the driver, and K such runs submitted
at once.
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
