"""Raw Ray running the DAG shapes Graven is measured on, for the ratio beside each figure.

The tasks do nothing, so what is timed is Ray's own cost of scheduling the shape: a chain
of N tasks each taking the previous one's result (Ray resolves the dependency; the driver
waits only for the last), and N independent leaves gathered by the driver.
"""

from __future__ import annotations

from typing import Any

import ray

from bench.stats import Timing, timed
from graven.data_plane import ray_runtime

CHAIN = 100
FAN_OUT = 1000


def _noop(*_: object) -> None:
    return None


def _remote() -> Any:
    return ray.remote(max_retries=0)(_noop)


def chain(n: int, repeat: int, address: str | None = None) -> Timing:
    """N no-op tasks, each depending on the one before."""
    ray_runtime.connect(address)
    noop = _remote()

    def once() -> None:
        ref = noop.remote()
        for _ in range(n - 1):
            ref = noop.remote(ref)
        ray.get(ref)

    return timed(once, repeat)


def fan_out(n: int, repeat: int, address: str | None = None) -> Timing:
    """N independent no-op tasks, all gathered."""
    ray_runtime.connect(address)
    noop = _remote()
    return timed(lambda: ray.get([noop.remote() for _ in range(n)]), repeat)


def run(repeat: int, address: str | None = None) -> dict[str, Timing]:
    return {
        f"raw Ray chain of {CHAIN}": chain(CHAIN, repeat, address),
        f"raw Ray fan-out of {FAN_OUT}": fan_out(FAN_OUT, repeat, address),
    }
