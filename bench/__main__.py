"""`make bench` (`python -m bench`): every benchmark, each figure beside raw Ray where raw Ray
can run the same thing, written to bench/results/ as JSON, Markdown and a PNG plot.

`--quick` takes a small set that fits in a few minutes; the full suite (the default, or
`--full`) takes every shape. `--only` picks bench modules, `--shapes` picks execution shapes.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.util
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import cast

from bench import report
from bench.context import Context
from bench.embedded import embedded_stack, postgres_database
from bench.figures import Figure
from bench.shapes import MAX_RUNS, SHAPES, by_key
from graven.data_plane import ray_runtime

RESULTS = Path(__file__).resolve().parent / "results"
# Bench modules in the order they run: bench/<name>.py providing figures(context) (see
# bench/context.py). A module that is not there (yet) is left out with a note.
MODULES = ("registration", "executions", "maps", "cache", "lineage", "throughput", "store")
Runner = Callable[[Context], Iterator[Figure]]


def _runner(name: str) -> Runner | str:
    """The module's figures(), or why there is none."""
    if importlib.util.find_spec(f"bench.{name}") is None:
        return f"bench/{name}.py is not there"
    module = importlib.import_module(f"bench.{name}")
    if hasattr(module, "figures"):
        return cast(Runner, module.figures)
    return f"bench/{name}.py has no figures(context)"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument("--quick", action="store_true", help="a small set, fewer runs")
    scale.add_argument("--full", action="store_true", help="every shape (the default)")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="bench modules to run")
    parser.add_argument(
        "--shapes", nargs="+", metavar="SHAPE", help=f"of: {' '.join(s.key for s in SHAPES)}"
    )
    parser.add_argument("--repeat", type=int, help="timed runs of every figure")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database of the stack the executions run on (throughput measures both)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results")
    args = parser.parse_args()

    shapes = (
        by_key(args.shapes) if args.shapes else [s for s in SHAPES if s.quick or not args.quick]
    )
    runners = {name: _runner(name) for name in args.only or MODULES}
    started = time.monotonic()
    # The machine is shared: the load beside the run says how far to trust it.
    load_before = os.getloadavg()[0]
    # One Ray cluster for Graven's agent and for raw Ray, so the ratio compares like with like.
    ray_runtime.connect()
    ray_address = ray_runtime.cluster_address()
    figures: list[Figure] = []
    with ExitStack() as running:
        db = None
        if args.db == "postgresql":
            db = running.enter_context(postgres_database())
            if db is None:
                raise SystemExit("PostgreSQL is not installed: `make postgres` installs it")
        stack = running.enter_context(
            embedded_stack(db=db, ray_address=ray_address, max_executions=MAX_RUNS)
        )
        context = Context(stack, ray_address, args.quick, args.repeat, tuple(shapes))
        for name, runner in runners.items():
            if isinstance(runner, str):
                print(f"{name}: left out ({runner})")
                continue
            print(name, flush=True)
            for figure in runner(context):
                print(report.line(figure), flush=True)
                figures.append(figure)
    minutes = (time.monotonic() - started) / 60
    run = {
        "scale": "quick" if args.quick else "full",
        "database": args.db,
        "date": datetime.date.today().isoformat(),
        "minutes": round(minutes, 1),
        "load average (1 min) before / after": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
    }
    for path in report.write(figures, args.out, str(run["scale"]), run):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
