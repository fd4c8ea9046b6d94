"""A user's cached pipeline, written to disk by the tests and edited between runs.

Each task appends a line to ``RUNS/<task>`` when its body runs, so a test sees which bodies
ran (a cache hit runs none). ``label`` uses a helper from another module of the project, so
editing only that module must rerun only ``label``. The graph::

    data (File) ─ load ─┬─ double ─ total ──▶ total
                        └─ label ──────────▶ label
"""

from __future__ import annotations

from pathlib import Path

from e2e_support import counted, write_package

from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1.identifier_pb2 import ExecutionIdentifier

PACKAGE = "cachedflows"
WORKFLOW = f"{PACKAGE}.flows.pipeline"
TASKS = ("load", "double", "total", "label")

FLOWS = """
    from pathlib import Path
    from typing import NamedTuple

    from graven import File, task, workflow
    from {package}.helpers import describe_values

    RUNS = Path({runs!r})


    class Result(NamedTuple):
        total: int
        label: str


    def ran(task_name: str) -> None:
        with (RUNS / task_name).open("a") as log:
            log.write("ran\\n")


    @task(cache=True)
    def load(data: File) -> list[int]:
        ran("load")
        with data.open() as f:
            return [int(word) for word in f.read().split()]


    @task(cache=True)
    def double(values: list[int]) -> list[int]:
        ran("double")
        return [value * {factor} for value in values]


    @task(cache=True)
    def total(values: list[int]) -> int:
        ran("total")
        return sum(values)


    @task(cache=True)
    def label(values: list[int]) -> str:
        ran("label")
        return describe_values(values)


    @workflow
    def pipeline(data: File) -> Result:
        values = load(data=data)
        return Result(total=total(values=double(values=values)), label=label(values=values))
"""

HELPERS = """
    def describe_values(values: list[int]) -> str:
        return f"{{len(values)}} {noun}"
"""


def task_name(short: str) -> str:
    """The registered name of one of the tasks."""
    return f"{PACKAGE}.flows.{short}"


def write_project(root: Path, runs: Path, factor: int = 2, noun: str = "values") -> Path:
    """The project at ``root``; its package folder, as `graven run` takes it."""
    runs.mkdir(parents=True, exist_ok=True)
    flows = FLOWS.format(package=PACKAGE, runs=str(runs), factor=factor)
    return write_package(root, PACKAGE, {"flows": flows, "helpers": HELPERS.format(noun=noun)})


def ran(runs: Path) -> dict[str, int]:
    """How many times each task's body ran."""
    return {name: counted(runs, name) for name in TASKS}


def by_task(remote: Remote, execution_id: ExecutionIdentifier) -> dict[str, ex.NodeExecution]:
    """The execution's nodes, by the short name of their task."""
    nodes = remote.node_executions(execution_id)
    return {n.task_id.name.rsplit(".", 1)[1]: n for n in nodes}


def cache_statuses(remote: Remote, execution_id: ExecutionIdentifier) -> dict[str, str]:
    return {
        name: ex.CacheStatus.Name(n.cache_status).removeprefix("CACHE_STATUS_")
        for name, n in by_task(remote, execution_id).items()
    }
