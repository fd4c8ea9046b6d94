"""The DAG shapes of Flyte's public benchmark suite, as Graven workflows of no-op tasks.

- chain: N nodes, each taking the previous one's output (100 and 500);
- fan-out: N independent leaves (1,000 and 6,000);
- swarm: K runs of a 2,000-leaf fan-out launched at once (K = 2, 5, 10);
- concurrency: K runs of a short chain launched at once and held live together by one agent.

A run of a shape is timed from the first CreateExecution to the last run's SUCCEEDED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["chain", "fan_out"]
# The short chain each concurrency run walks.
CONCURRENCY_CHAIN = 10


@dataclass(frozen=True)
class Shape:
    key: str
    label: str
    kind: Kind
    size: int
    # Runs of the workflow launched at once.
    runs: int
    # Timed runs in a full suite; a quick suite takes the shapes marked quick, with fewer runs.
    repeat: int
    quick: bool = False
    target: str = ""

    @property
    def workflow(self) -> str:
        return f"{self.kind}_{self.size}"

    @property
    def nodes(self) -> int:
        return self.size * self.runs


SHAPES = (
    Shape("chain-100", "chain of 100", "chain", 100, 1, 7, quick=True, target="≤ 0.5 s"),
    Shape("chain-500", "chain of 500", "chain", 500, 1, 3),
    Shape("fan-out-1000", "fan-out of 1,000", "fan_out", 1000, 1, 5, quick=True, target="≤ 3 s"),
    Shape("fan-out-6000", "fan-out of 6,000", "fan_out", 6000, 1, 2),
    Shape("swarm-2", "swarm: 2 x 2,000 leaves", "fan_out", 2000, 2, 2, quick=True),
    Shape("swarm-5", "swarm: 5 x 2,000 leaves", "fan_out", 2000, 5, 1),
    Shape("swarm-10", "swarm: 10 x 2,000 leaves", "fan_out", 2000, 10, 1),
    Shape("concurrency-10", "10 runs live at once", "chain", CONCURRENCY_CHAIN, 10, 3, quick=True),
    Shape("concurrency-50", "50 runs live at once", "chain", CONCURRENCY_CHAIN, 50, 2),
    Shape("concurrency-100", "100 runs live at once", "chain", CONCURRENCY_CHAIN, 100, 2),
)
# The agent must hold every run of the widest concurrency shape at once.
MAX_RUNS = max(shape.runs for shape in SHAPES)


def by_key(keys: list[str]) -> list[Shape]:
    known = {shape.key: shape for shape in SHAPES}
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise SystemExit(f"unknown shape(s) {unknown}; the shapes are {sorted(known)}")
    return [known[key] for key in keys]


def project_source(shapes: list[Shape]) -> str:
    """A module with the no-op task and one workflow per distinct (kind, size)."""
    lines = [
        "from graven import task, workflow",
        "",
        "",
        "@task",
        "def noop(x: int) -> int:",
        "    return x",
    ]
    for kind, size in sorted({(s.kind, s.size) for s in shapes}):
        lines += ["", "", "@workflow"]
        if kind == "chain":
            lines += [
                f"def chain_{size}(x: int) -> int:",
                "    value = x",
                f"    for _ in range({size}):",
                "        value = noop(x=value)",
                "    return value",
            ]
        else:
            lines += [
                f"def fan_out_{size}(x: int) -> None:",
                f"    for i in range({size}):",
                "        noop(x=i)",
            ]
    return "\n".join(lines) + "\n"
