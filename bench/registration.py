"""Registering a 100-task workflow, client to committed, on the embedded server.

Each fresh registration uses new task bodies (a changed constant) so every entity is really
created; re-registration sends the identical project again.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.context import Context
from bench.figures import Figure
from bench.stats import timed
from graven.remote import Remote

TASKS = 100


def write_project(root: Path, salt: int) -> Path:
    lines = ["from graven import task, workflow", "", f"SALT = {salt}", ""]
    for i in range(TASKS):
        lines += [
            "@task",
            f"def step_{i}(x: int) -> int:",
            f"    return x + {i} + SALT",
            "",
        ]
    lines += ["@workflow", "def chain(x: int) -> int:"]
    previous = "x"
    for i in range(TASKS):
        lines.append(f"    v{i} = step_{i}(x={previous})")
        previous = f"v{i}"
    lines += [f"    return {previous}", ""]
    package = root / f"bench_registration_{salt}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "flow.py").write_text("\n".join(lines))
    return package / "flow.py"


def figures(context: Context) -> Iterator[Figure]:
    repeat = context.runs(7)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Remote(context.stack.endpoint, home=context.stack.home) as remote,
    ):
        root = Path(tmp)
        projects = iter(write_project(root / str(i), i) for i in range(repeat + 1))
        fresh = timed(lambda: remote.register(next(projects), project="bench"), repeat)
        yield Figure(
            "registration",
            "register a 100-task workflow, client to committed",
            graven=fresh,
            target="≤ 150 ms",
            peak_rss=context.stack.peak_rss(),
        )
        same = write_project(root / "same", 10_000)
        again = timed(lambda: remote.register(same, project="bench"), repeat)
        yield Figure(
            "registration",
            "re-register it unchanged",
            graven=again,
            target="≤ 30 ms",
            peak_rss=context.stack.peak_rss(),
        )
