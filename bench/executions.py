"""Executions end to end, CreateExecution to SUCCEEDED, beside raw Ray on the same shapes.

The workflows are generated: a chain of no-op nodes, each taking the previous one's output,
and a fan-out of independent no-op leaves, registered once and launched repeatedly.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import raw_ray
from bench.stats import Timing, timed
from graven.literals import int_literal
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

SOURCE = """
from graven import task, workflow


@task
def noop(x: int) -> int:
    return x


@workflow
def chain(x: int) -> int:
    value = x
    for _ in range({chain}):
        value = noop(x=value)
    return value


@workflow
def fan_out(x: int) -> None:
    for i in range({fan_out}):
        noop(x=i)
"""


def _launch_and_wait(remote: Remote, workflow: str, version: str) -> None:
    # A literal input: the timed span starts at CreateExecution, not at a Get of the workflow.
    execution = remote.launch(workflow, {"x": int_literal(1)}, project="bench", version=version)
    final = remote.wait(execution.id)
    if final.closure.phase != ex.EXECUTION_PHASE_SUCCEEDED:
        raise RuntimeError(f"{workflow} ended {ex.ExecutionPhase.Name(final.closure.phase)}")


def run(endpoint: str, ray_address: str, repeat: int) -> list[tuple[str, Timing, Timing]]:
    """(shape, Graven timing, raw Ray timing) for each shape."""
    with tempfile.TemporaryDirectory() as tmp, Remote(endpoint) as remote:
        package = Path(tmp) / "bench_shapes"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "flows.py").write_text(
            SOURCE.format(chain=raw_ray.CHAIN, fan_out=raw_ray.FAN_OUT)
        )
        versions = {r.id.name: r.id.version for r in remote.register(package, project="bench")}
        shapes = [
            (f"chain of {raw_ray.CHAIN}", "bench_shapes.flows.chain", raw_ray.chain, raw_ray.CHAIN),
            (
                f"fan-out of {raw_ray.FAN_OUT}",
                "bench_shapes.flows.fan_out",
                raw_ray.fan_out,
                raw_ray.FAN_OUT,
            ),
        ]
        results = []
        for label, workflow, raw, n in shapes:
            graven = timed(lambda w=workflow: _launch_and_wait(remote, w, versions[w]), repeat)
            results.append((label, graven, raw(n, repeat, ray_address)))
        return results
