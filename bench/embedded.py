"""Graven as a team runs it, in subprocesses: a control plane (`graven up --no-agent`) and,
when asked, an agent (`graven agent`) joined to a given Ray cluster. Two processes rather than
the all-in-one `graven up`, so that each one's peak memory can be read on its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from graven.control_plane.persistence.postgres_cluster import find_binaries, running_postgres
from graven.ports import free_loopback_port

READY_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30
CONTROL_PLANE = "control plane"
AGENT = "agent"


def peak_rss(pid: int) -> int:
    """The high-water mark of a process's resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"process {pid} reports no VmHWM")


@dataclass(frozen=True)
class Stack:
    endpoint: str
    home: Path
    pids: dict[str, int]

    def peak_rss(self) -> dict[str, int]:
        """Peak RSS so far of each process of the stack, by role."""
        return {role: peak_rss(pid) for role, pid in self.pids.items()}


@contextmanager
def _process(argv: Sequence[str], log: Path, ready: str | None) -> Iterator[int]:
    """Run ``argv`` until the block ends; with ``ready``, wait for a line matching it first.
    Its home is the log's folder: an agent finds the home's agent token there."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "graven.cli", *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "200", "GRAVEN_HOME": str(log.parent)},
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while ready is not None and not re.search(ready, log.read_text(), re.MULTILINE):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"graven {argv[0]} did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def embedded_stack(
    *,
    db: str | None = None,
    ray_address: str | None = None,
    agent: bool = True,
    max_executions: int = 16,
) -> Iterator[Stack]:
    """A fresh control plane with a home of its own (SQLite there unless ``db`` is given) and,
    with ``agent``, an agent on ``ray_address`` running up to ``max_executions`` at once."""
    with tempfile.TemporaryDirectory(prefix="graven-bench-") as tmp, ExitStack() as running:
        home = Path(tmp)
        port = free_loopback_port()
        endpoint = f"127.0.0.1:{port}"
        up = ["up", "--no-agent", "--home", str(home), "--grpc-port", str(port)]
        up += ["--http-port", str(free_loopback_port())]
        if db is not None:
            up += ["--db", db]
        pids = {CONTROL_PLANE: running.enter_context(_process(up, home / "up.log", r"^ready$"))}
        if agent:
            argv = ["agent", "--endpoint", endpoint, "--max-executions", str(max_executions)]
            if ray_address is not None:
                argv += ["--ray", ray_address]
            pids[AGENT] = running.enter_context(_process(argv, home / "agent.log", None))
        yield Stack(endpoint, home, pids)


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """The URL of a new database on a throwaway PostgreSQL cluster, or None when PostgreSQL
    is not installed (`make postgres` installs it)."""
    binaries = find_binaries()
    if binaries is None:
        yield None
        return
    with running_postgres(binaries) as cluster:
        yield cluster.url(cluster.create_database())
