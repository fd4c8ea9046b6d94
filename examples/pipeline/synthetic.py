"""The synthetic data set: readings of two sensors and a yes/no outcome, from a seed.

Generated rather than downloaded so the example runs anywhere, and reproducible: the same
seed gives the same samples on every machine (``random.Random`` is stable across Python
versions for ``random()`` and ``gauss()``), which is what lets a run on the cluster be
compared with a local run value for value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class Sample:
    """One observation. A reading is None when the sensor was down (an outage)."""

    x1: float | None
    x2: float | None
    label: int


def generate(seed: int, size: int, outage_from: int = 0, outage_to: int = 0) -> list[Sample]:
    """``size`` samples; those with an index in ``[outage_from, outage_to)`` lost both
    readings. The outcome is a noisy linear rule of the readings, so a linear model can
    learn it well but not perfectly."""
    rng = random.Random(seed)
    samples = []
    for i in range(size):
        x1, x2 = rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)
        label = int(1.5 * x1 - x2 + rng.gauss(0.0, 0.5) > 0.2)
        if outage_from <= i < outage_to:
            samples.append(Sample(x1=None, x2=None, label=label))
        else:
            samples.append(Sample(x1=round(x1, 6), x2=round(x2, 6), label=label))
    return samples
