"""Summaries of repeated timings."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def describe(self) -> str:
        return (
            f"p50 {self.median * 1000:8.1f} ms   p90 {self.percentile(90) * 1000:8.1f} ms"
            f"   n={len(self.samples)}"
        )


def timed(fn: Callable[[], object], repeat: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples))


def paired(
    first: Callable[[], object],
    second: Callable[[], object],
    repeat: int,
    warmup: int = 1,
    *,
    before: tuple[Callable[[], object], Callable[[], object]] | None = None,
) -> tuple[Timing, Timing]:
    """Time two ways of doing the same thing in turns, so that a slower stretch of a shared
    machine hits both alike. ``before``: an untimed call ahead of each timed call of each
    way (e.g. to wake what the other way's turn put to sleep)."""
    firsts: list[float] = []
    seconds: list[float] = []
    untimed = before or (_nothing, _nothing)
    for i in range(warmup + repeat):
        for fn, prepare, samples in ((first, untimed[0], firsts), (second, untimed[1], seconds)):
            prepare()
            start = time.perf_counter()
            fn()
            if i >= warmup:
                samples.append(time.perf_counter() - start)
    return Timing(tuple(firsts)), Timing(tuple(seconds))


def _nothing() -> None:
    return None
