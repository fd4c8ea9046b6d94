"""Relaunch of a fully cached 100-node chain, end to end, beside raw Ray on the same chain.

The chain is registered and run once, which fills the cache; then it is relaunched, timed
from RelaunchExecution to the SUCCEEDED the client sees. Every node of a relaunch is a cache
hit, so no Ray task may start: each task appends a line to a file when it runs, and the file
must not grow during the relaunches. Raw Ray runs a chain of 100 no-op tasks in turns with the
relaunches, on the cluster the agent uses.

The agent that filled the cache remembers what each key gave, so it asks the control plane
about the whole chain in one ReserveCache call (see graven.data_plane.key_guesses); an agent
started after the fill asks node by node on its first relaunch, one round trip per node.

    python -m bench.cache [--repeat 7]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray

from bench.context import Context
from bench.embedded import embedded_stack
from bench.figures import Figure
from bench.stats import Timing, paired
from graven.data_plane import ray_runtime
from graven.literals import int_literal
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

CHAIN = 100
TARGET_SECONDS = 0.25
PROJECT = "bench"

SOURCE = """
from graven import task, workflow

RUNS = {runs!r}


@task(cache=True)
def step(x: int) -> int:
    with open(RUNS, "a") as f:
        f.write("ran\\n")
    return x + 1


@workflow
def cached_chain(x: int) -> int:
    value = x
    for _ in range({chain}):
        value = step(x=value)
    return value
"""


@dataclass(frozen=True)
class CacheFigure:
    relaunch: Timing
    raw_ray: Timing
    # Tasks that ran during the timed relaunches: 0 when every node was a hit.
    ray_tasks: int
    # Nodes of the last relaunch recorded as cache hits.
    hits: int

    def describe(self) -> list[str]:
        ratio = self.relaunch.median / self.raw_ray.median
        return [
            f"cached relaunch, chain of {CHAIN}  Graven  {self.relaunch.describe()}"
            f"   target <= {TARGET_SECONDS} s",
            f"{'':34s}raw Ray {self.raw_ray.describe()}   ratio {ratio:5.2f}x",
            f"{'':34s}Ray tasks during the relaunches: {self.ray_tasks}; "
            f"cache hits in the last: {self.hits}/{CHAIN}",
        ]


def _raw_chain() -> Callable[[], None]:
    noop: Any = ray.remote(max_retries=0)(_noop)

    def once() -> None:
        ref = noop.remote()
        for _ in range(CHAIN - 1):
            ref = noop.remote(ref)
        ray.get(ref)

    return once


def _noop(*_: object) -> None:
    return None


def _finished(remote: Remote, execution: ex.Execution) -> ex.Execution:
    final = remote.wait(execution.id)
    if final.closure.phase != ex.EXECUTION_PHASE_SUCCEEDED:
        phase = ex.ExecutionPhase.Name(final.closure.phase)
        raise RuntimeError(f"{execution.id.name} ended {phase}: {final.closure.error.message}")
    return final


def run(endpoint: str, home: Path, repeat: int) -> CacheFigure:
    """Register, fill the cache, then time relaunches beside raw Ray (this process must be
    connected to the agent's Ray cluster)."""
    with (
        tempfile.TemporaryDirectory(prefix="graven-bench-cache-") as tmp,
        Remote(endpoint, home=home) as remote,
    ):
        runs = Path(tmp) / "runs"
        package = Path(tmp) / "bench_cache"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "flows.py").write_text(SOURCE.format(runs=str(runs), chain=CHAIN))
        versions = {r.id.name: r.id.version for r in remote.register(package, project=PROJECT)}
        workflow = "bench_cache.flows.cached_chain"
        filled = _finished(
            remote,
            remote.launch(
                workflow, {"x": int_literal(0)}, project=PROJECT, version=versions[workflow]
            ),
        )
        before = len(runs.read_text().splitlines())
        last: list[ex.Execution] = []

        def relaunch() -> None:
            last[:] = [_finished(remote, remote.relaunch(filled.id))]

        relaunched, raw = paired(relaunch, _raw_chain(), repeat)
        ray_tasks = len(runs.read_text().splitlines()) - before
        hits = sum(
            1
            for node in remote.node_executions(last[0].id)
            if node.cache_status == ex.CACHE_STATUS_HIT
        )
        return CacheFigure(relaunched, raw, ray_tasks, hits)


def figures(context: Context) -> Iterator[Figure]:
    measured = run(context.stack.endpoint, context.stack.home, context.runs(7))
    yield Figure(
        "cache",
        f"relaunch of a fully cached chain of {CHAIN}",
        graven=measured.relaunch,
        raw_ray=measured.raw_ray,
        target=f"≤ {TARGET_SECONDS} s, zero Ray tasks",
        peak_rss=context.stack.peak_rss(),
        note=f"{measured.ray_tasks} Ray tasks, {measured.hits} hits",
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cache", description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="timed relaunches")
    args = parser.parse_args()
    # One Ray cluster for Graven's agent and for raw Ray, so the ratio compares like with like.
    ray_runtime.connect()
    with embedded_stack(ray_address=ray_runtime.cluster_address()) as stack:
        figure = run(stack.endpoint, stack.home, args.repeat)
    for line in figure.describe():
        print(line)


if __name__ == "__main__":
    main()
