"""Executions end to end, first CreateExecution to the last run's SUCCEEDED, beside raw Ray
running the same shape on the same cluster, in turns.

The workflows (bench/shapes.py) are generated, registered once and launched repeatedly with a
literal input, so the timed span starts at CreateExecution, not at a Get of the workflow.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench import raw_ray
from bench.context import Context
from bench.figures import Figure
from bench.shapes import Shape, project_source
from bench.stats import paired
from graven.literals import int_literal
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

PROJECT = "bench"
MODULE = "bench_shapes.flows"


def _launch_and_wait(remote: Remote, shape: Shape, version: str) -> None:
    workflow = f"{MODULE}.{shape.workflow}"
    launched = [
        remote.launch(workflow, {"x": int_literal(1)}, project=PROJECT, version=version).id
        for _ in range(shape.runs)
    ]
    for execution_id in launched:
        final = remote.wait(execution_id)
        if final.closure.phase != ex.EXECUTION_PHASE_SUCCEEDED:
            phase = ex.ExecutionPhase.Name(final.closure.phase)
            raise RuntimeError(f"{workflow} ended {phase}: {final.closure.error.message}")


def figures(context: Context) -> Iterator[Figure]:
    shapes = list(context.shapes)
    if not shapes:
        return
    with (
        tempfile.TemporaryDirectory() as tmp,
        Remote(context.stack.endpoint, home=context.stack.home) as remote,
    ):
        package = Path(tmp) / "bench_shapes"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "flows.py").write_text(project_source(shapes))
        versions = {r.id.name: r.id.version for r in remote.register(package, project=PROJECT)}
        for shape in shapes:
            version = versions[f"{MODULE}.{shape.workflow}"]
            runs = context.runs(shape.repeat)
            # A warm-up run for shapes timed several times; the big ones are their own warm-up.
            graven, raw = paired(
                functools.partial(_launch_and_wait, remote, shape, version),
                raw_ray.runner(shape),
                runs,
                warmup=1 if runs > 1 else 0,
            )
            yield Figure(
                "executions",
                shape.label,
                graven=graven,
                raw_ray=raw,
                target=shape.target,
                peak_rss=context.stack.peak_rss(),
                note=f"{shape.nodes:,} nodes",
            )
