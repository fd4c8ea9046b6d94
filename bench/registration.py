"""Registering a 100-task workflow, client to committed, on the embedded server.

Each fresh registration uses new task bodies (a changed constant) so every entity is really
created; re-registration sends the identical project again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.stats import Timing, timed
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


def run(endpoint: str, repeat: int) -> dict[str, Timing]:
    with tempfile.TemporaryDirectory() as tmp, Remote(endpoint) as remote:
        root = Path(tmp)
        projects = iter(write_project(root / str(i), i) for i in range(repeat + 1))
        fresh = timed(lambda: remote.register(next(projects), project="bench"), repeat)
        same = write_project(root / "same", 10_000)
        again = timed(lambda: remote.register(same, project="bench"), repeat)
    return {"register 100-task workflow": fresh, "re-register unchanged": again}
