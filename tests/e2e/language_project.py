"""A user's project that uses every construct of the workflow language, written to disk by
the language tests, registered and run through the whole stack, and run locally as plain
Python (``local``) to give the outputs the engine must match.

Each task that matters to a test appends a line to ``<folder>/<name>`` when its body runs
(``record``), so a test counts side effects rather than reports. Every workflow takes that
folder as an input, so one registered version serves every test and no code is edited.

The node ids the tests name come from the SDK's one counter per workflow trace, in call
order (branch case nodes included):

- ``route``: n0 measure, n1 the branch, n2/n3/n4 its cases, n5 frame.
- ``tolerant`` / ``strict``: n0 numbers, n1 the map.
- ``fragile``: n0 double, n1 explode, "on-failure" cleanup.
- ``analyse``: n0 the subworkflow (its n0 sort, n1 describe), n1 bounds, n2/n3 the two
  marks ordered with ``>>``, n4 join, n5 add.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from e2e_support import FINISH_SECONDS, counted, write_package

from graven.remote import Remote
from graven.remote_pages import pages
from graven.v1 import execution_pb2 as ex
from graven.v1 import execution_service_pb2 as exs
from graven.v1.identifier_pb2 import ExecutionIdentifier

PACKAGE = "langflows"
MODULE = f"{PACKAGE}.flows"
T = TypeVar("T")

FLOWS = """
    import dataclasses
    import functools
    import json
    import os
    import time
    from dataclasses import dataclass
    from datetime import timedelta
    from pathlib import Path
    from typing import NamedTuple, Optional

    import graven
    from graven import LaunchPlan, WorkflowError, approve, conditional, task, wait_for_input
    from graven import workflow


    def record(folder: str, name: str, line: str = "run") -> None:
        with Path(folder, name).open("a") as f:
            f.write(f"{line}\\n")


    # --- a branch on a task output ---------------------------------------------------------


    @task
    def measure(folder: str, text: str) -> int:
        record(folder, "measure")
        return len(text)


    @task
    def shout(folder: str, text: str) -> str:
        record(folder, "shout")
        return text.upper() + "!"


    @task
    def whisper(folder: str, text: str) -> str:
        record(folder, "whisper")
        return text.lower()


    @task
    def keep(folder: str, text: str) -> str:
        record(folder, "keep")
        return text


    @task
    def frame(text: str) -> str:
        return f"[{text}]"


    @workflow
    def route(folder: str, text: str) -> str:
        size = measure(folder=folder, text=text)
        said = (
            conditional("size")
            .if_(size > 10).then(shout(folder=folder, text=text))
            .elif_(size < 4).then(whisper(folder=folder, text=text))
            .else_().then(keep(folder=folder, text=text))
        )
        return frame(text=said)


    # --- maps ------------------------------------------------------------------------------


    @task
    def numbers(count: int) -> list[int]:
        return list(range(count))


    @task
    def total(xs: list[int]) -> int:
        return sum(xs)


    @task
    def score(folder: str, failing: list[int], x: int) -> int:
        record(folder, "score", str(x))
        if x in failing:
            raise ValueError(f"element {x} is bad")
        return x * x


    @workflow
    def tolerant(folder: str, count: int, failing: list[int]) -> list[Optional[int]]:
        scored = graven.map(
            functools.partial(score, folder=folder, failing=failing),
            concurrency=2,
            min_success_ratio=0.99,
        )
        return scored(x=numbers(count=count))


    @workflow
    def strict(folder: str, count: int, failing: list[int]) -> list[int]:
        # failing (a list[int] for a list[int] input) goes to every element; only x is mapped.
        scored = graven.map(score, concurrency=2)
        return scored(folder=folder, failing=failing, x=numbers(count=count))


    @task
    def checked_square(folder: str, x: int) -> int:
        # Which elements fail is set outside the code, so fixing them needs no new version.
        bad = Path(folder, "bad.txt").read_text().split()
        record(folder, "checked", str(x))
        if str(x) in bad:
            raise ValueError(f"element {x} is listed as bad")
        return x * x


    @workflow
    def checked(folder: str, xs: list[int]) -> int:
        return total(xs=graven.map(checked_square, concurrency=2)(folder=folder, x=xs))


    @task
    def held_square(folder: str, hold_from: int, x: int) -> int:
        record(folder, "started", f"{x} {os.getpid()}")
        while x >= hold_from and not Path(folder, "gate").exists():
            time.sleep(0.02)
        record(folder, "held", str(x))
        return x * x


    @workflow
    def held(folder: str, count: int, hold_from: int) -> int:
        squares = graven.map(held_square, concurrency=2)(
            folder=folder, hold_from=hold_from, x=numbers(count=count)
        )
        return total(xs=squares)


    @task(cache=True)
    def cached_square(folder: str, x: int) -> int:
        record(folder, "cached", str(x))
        return x * x


    @workflow
    def cached_squares(folder: str, xs: list[int]) -> list[int]:
        return graven.map(cached_square)(folder=folder, x=xs)


    # --- gates -----------------------------------------------------------------------------


    @task
    def build(folder: str, tag: str) -> str:
        record(folder, "build")
        return f"artifact-{tag}"


    @task
    def publish(folder: str, artifact: str) -> str:
        record(folder, "publish")
        return f"published {artifact}"


    @workflow
    def release(folder: str, tag: str) -> str:
        # Not "version": `graven run --version` is the option that versions the registration.
        built = build(folder=folder, tag=tag)
        return publish(folder=folder, artifact=approve(built, "ship"))


    @workflow
    def hurried(folder: str, tag: str) -> str:
        built = build(folder=folder, tag=tag)
        return publish(folder=folder, artifact=approve(built, "ship", timeout=timedelta(seconds=2)))


    @task
    def scale(x: int, factor: int) -> int:
        return x * factor


    @workflow
    def tuned(x: int) -> int:
        return scale(x=x, factor=wait_for_input("factor", timeout=600, expected_type=int))


    # --- launch plans as nodes -------------------------------------------------------------


    @task
    def double(x: int) -> int:
        return 2 * x


    @task
    def add(x: int, y: int) -> int:
        return x + y


    @workflow
    def offset(x: int, y: int) -> int:
        return add(x=x, y=y)


    plus_ten = LaunchPlan("langflows.plus-ten", offset, fixed_inputs={"y": 10})


    @workflow
    def parent(x: int) -> int:
        return double(x=plus_ten(x=double(x=x)))


    @workflow
    def waiting(x: int) -> int:
        return scale(x=x, factor=wait_for_input("go", expected_type=int))


    waiting_plan = LaunchPlan("langflows.waiting", waiting)


    @workflow
    def waiting_parent(x: int) -> int:
        return double(x=waiting_plan(x=x))


    # --- failure handling ------------------------------------------------------------------


    @task
    def cleanup(folder: str, error: WorkflowError) -> None:
        Path(folder, "cleanup.json").write_text(json.dumps(dataclasses.asdict(error)))


    @task
    def explode(x: int) -> int:
        raise ValueError(f"cannot take {x}")


    @workflow(on_failure=cleanup)
    def fragile(folder: str, x: int) -> int:
        return explode(x=double(x=x))


    # --- subworkflows, attribute paths, tuples and >> --------------------------------------


    @dataclass
    class Stats:
        count: int
        ordered: list[int]
        by_parity: dict[str, int]


    class Summary(NamedTuple):
        count: int
        smallest: int
        evens: int
        spread: int
        marks: str


    @task
    def sort(xs: list[int]) -> list[int]:
        return sorted(xs)


    @task
    def describe(xs: list[int]) -> Stats:
        evens = sum(1 for x in xs if x % 2 == 0)
        return Stats(count=len(xs), ordered=xs, by_parity={"even": evens, "odd": len(xs) - evens})


    @workflow
    def summarize(xs: list[int]) -> Stats:
        return describe(xs=sort(xs=xs))


    @task
    def bounds(xs: list[int]) -> tuple[int, int]:
        return min(xs), max(xs)


    @task
    def mark(folder: str, name: str, pause: float) -> str:
        # No data flows between the two marks: only >> keeps the second after the first.
        time.sleep(pause)
        record(folder, "marks", name)
        return name


    @task
    def join(a: str, b: str) -> str:
        return f"{a}+{b}"


    @workflow
    def analyse(folder: str, xs: list[int]) -> Summary:
        stats = summarize(xs=xs)
        low, high = bounds(xs=xs)
        first = mark(folder=folder, name="first", pause=1.0)
        second = mark(folder=folder, name="second", pause=0.0)
        first >> second
        return Summary(
            count=stats.count,
            smallest=stats.ordered[0],
            evens=stats.by_parity["even"],
            spread=add(x=high, y=low),
            marks=join(a=first, b=second),
        )
"""


def write_project(root: Path) -> Path:
    """The project under ``root``; its package folder, as `graven run` takes it."""
    return write_package(root, PACKAGE, {"flows": FLOWS})


def local(package: Path) -> ModuleType:
    """The project's module imported in this process, to run its workflows as plain Python.

    Imported afresh from ``package``: another test's copy of the package may be loaded."""
    root = str(package.parent)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]
    sys.path.insert(0, root)
    try:
        return importlib.import_module(MODULE)
    finally:
        sys.path.remove(root)


def runs(folder: Path, name: str) -> list[str]:
    """What each run of a recording task wrote to ``folder/name``, in order."""
    path = folder / name
    return path.read_text().splitlines() if path.exists() else []


def ran(folder: Path, *names: str) -> dict[str, int]:
    """How many times each named task body ran."""
    return {name: counted(folder, name) for name in names}


def nodes_by_id(remote: Remote, execution_id: ExecutionIdentifier) -> dict[str, ex.NodeExecution]:
    """Every node execution of the run (nested ones too), by its nested id."""
    return {n.id.node_id: n for n in remote.node_executions(execution_id)}


def children(
    remote: Remote, execution_id: ExecutionIdentifier, parent: str
) -> list[ex.NodeExecution]:
    """The node executions nested directly in ``parent``, as ListNodeExecutions filters them."""
    request = exs.ListNodeExecutionsRequest(execution_id=execution_id, parent_node_id=parent)
    return list(pages(remote.executions.ListNodeExecutions, request, "node_executions"))


def phase_names(nodes: Mapping[str, ex.NodeExecution]) -> dict[str, str]:
    return {
        node_id: ex.NodePhase.Name(n.phase).removeprefix("NODE_PHASE_")
        for node_id, n in nodes.items()
    }


def table_rows(printed: str) -> dict[str, str]:
    """The body rows of the node table `graven executions get` prints, by node id (a nested
    node is indented under its parent; rich draws the header with ┃, the rows with │)."""
    rows = [line for line in printed.splitlines() if line.startswith("│")]
    return {row.split("│")[1].strip(): row for row in rows}


def wait_until(check: Callable[[], T | None], what: str, timeout: float = FINISH_SECONDS) -> T:
    """The first truthy answer of ``check``, asked until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def node_in(
    remote: Remote, execution_id: ExecutionIdentifier, node_id: str, *phases: int
) -> ex.NodeExecution | None:
    """The node execution ``node_id`` once it is in one of ``phases``, else None."""
    node = nodes_by_id(remote, execution_id).get(node_id)
    return node if node is not None and node.phase in phases else None
