"""One benchmark figure: what was measured, raw Ray on the same shape where there is such a
thing, a target where the design sets one, and the peak memory of Graven's processes once the
figure was taken.

Every bench module hands back figures; bench/report.py prints them and writes them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.stats import Timing


@dataclass(frozen=True)
class Figure:
    group: str
    label: str
    graven: Timing | None = None
    raw_ray: Timing | None = None
    target: str = ""
    # Operations per second, for throughput figures (the timings are then per operation).
    rate: float | None = None
    # Peak RSS (VmHWM) in bytes of each Graven process, read once this figure was taken: a
    # high-water mark, so it covers every figure taken before it on the same processes.
    peak_rss: Mapping[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Graven's median time over raw Ray's: 1.0 would be no overhead at all."""
        if self.graven is None or self.raw_ray is None:
            return None
        return self.graven.median / self.raw_ray.median

    def as_json(self) -> dict[str, Any]:
        def timing(t: Timing | None) -> dict[str, Any] | None:
            if t is None:
                return None
            return {
                "p50_s": t.median,
                "p99_s": t.percentile(99),
                "samples_s": list(t.samples),
            }

        return {
            "group": self.group,
            "label": self.label,
            "target": self.target,
            "graven": timing(self.graven),
            "raw_ray": timing(self.raw_ray),
            "ratio": self.ratio,
            "rate_per_s": self.rate,
            "peak_rss_bytes": dict(self.peak_rss),
            "note": self.note,
        }
