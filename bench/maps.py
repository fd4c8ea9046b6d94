"""Map nodes end to end: `graven.map(noop)` over a list an upstream task produces, timed from
CreateExecution to the SUCCEEDED the client sees, beside raw Ray mapping the same function
over the same list on the same cluster, in turns.

The workflow is ``noop_map_N(n) -> list[int]``: ``numbers(n)`` makes ``list(range(n))`` and
``graven.map(noop)(x=...)`` maps ``def noop(x: int) -> int: return x`` over it, so every
element is its own node execution (attempt, cache key, lineage record) and the output is the
list of element outputs. Raw Ray does the same two steps: one task makes the list, then
``ray.get([noop.remote(x) for x in xs])`` (see bench/raw_ray.py).

Graven's agent and this process are two Ray jobs on one cluster, and a job's workers are its
own: after one side's turn the other finds its workers gone and waits for new ones to start
(seconds on a loaded 2-core machine, most of a 1,000-element raw Ray run). So each timed run
of either side comes after an untimed map of WARM_ELEMENTS on the same side, and both are
timed warm, as a map in a running pipeline would be.

    python -m bench --only maps [--quick] [--repeat 3]
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import raw_ray
from bench.context import Context
from bench.figures import Figure
from bench.stats import paired
from graven.literals import int_literal
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

PROJECT = "bench"
MODULE = "bench_maps.flows"
# The target for a map of no-op elements.
TARGET = "≤ 1.5x raw Ray"
# The untimed map ahead of each timed run: enough elements to wake a worker per CPU.
WARM_ELEMENTS = 16


@dataclass(frozen=True)
class MapShape:
    label: str
    size: int
    # Timed runs in a full suite, and in a quick one (see Context.runs).
    repeat: int
    quick_repeat: int

    @property
    def workflow(self) -> str:
        return f"noop_map_{self.size}"


MAPS = (
    MapShape("map over 1,000 elements", 1_000, 5, 3),
    MapShape("map over 10,000 elements", 10_000, 3, 1),
)


def project_source(shapes: tuple[MapShape, ...]) -> str:
    """A module with the list-making task, the no-op element task and one mapping workflow
    per size."""
    lines = [
        "import graven",
        "from graven import task, workflow",
        "",
        "",
        "@task",
        "def numbers(n: int) -> list[int]:",
        "    return list(range(n))",
        "",
        "",
        "@task",
        "def noop(x: int) -> int:",
        "    return x",
    ]
    for shape in shapes:
        lines += [
            "",
            "",
            "@workflow",
            f"def {shape.workflow}(n: int) -> list[int]:",
            "    return graven.map(noop)(x=numbers(n=n))",
        ]
    return "\n".join(lines) + "\n"


def _launch_and_wait(remote: Remote, workflow: str, version: str, n: int) -> None:
    launched = remote.launch(workflow, {"n": int_literal(n)}, project=PROJECT, version=version)
    final = remote.wait(launched.id)
    if final.closure.phase != ex.EXECUTION_PHASE_SUCCEEDED:
        phase = ex.ExecutionPhase.Name(final.closure.phase)
        raise RuntimeError(f"{workflow} ended {phase}: {final.closure.error.message}")


def figures(context: Context) -> Iterator[Figure]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Remote(context.stack.endpoint, home=context.stack.home) as remote,
    ):
        package = Path(tmp) / "bench_maps"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "flows.py").write_text(project_source(MAPS))
        versions = {r.id.name: r.id.version for r in remote.register(package, project=PROJECT)}
        for index, shape in enumerate(MAPS):
            runs = context.runs(shape.repeat, shape.quick_repeat)
            workflow = f"{MODULE}.{shape.workflow}"
            run = functools.partial(_launch_and_wait, remote, workflow, versions[workflow])
            graven, raw = paired(
                functools.partial(run, shape.size),
                raw_ray.map_runner(shape.size),
                runs,
                # One warm-up run before the first map (the bundle, the imported task, the
                # agent's code paths); the maps after it find them warm.
                warmup=1 if index == 0 else 0,
                before=(functools.partial(run, WARM_ELEMENTS), raw_ray.map_runner(WARM_ELEMENTS)),
            )
            yield Figure(
                "maps",
                shape.label,
                graven=graven,
                raw_ray=raw,
                target=TARGET,
                peak_rss=context.stack.peak_rss(),
                note=f"{shape.size:,} elements + 1 upstream task",
            )
