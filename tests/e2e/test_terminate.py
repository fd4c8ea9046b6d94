"""`graven terminate` of a running execution: TERMINATED within 5 s, and the task stops."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import (
    execution_ref,
    finish,
    graven,
    graven_json,
    wait_for_exit,
    wait_for_file,
    write_package,
)

from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

GATED = """
    import os
    import time
    from pathlib import Path

    from graven import task, workflow


    @task
    def prepare(folder: str) -> str:
        return folder


    @task
    def hold(folder: str) -> str:
        Path(folder, "hold.pid").write_text(str(os.getpid()))
        while not Path(folder, "gate").exists():
            time.sleep(0.02)
        Path(folder, "past-the-gate").write_text("the task kept running")
        return "released"


    @workflow
    def gated(folder: str) -> str:
        return hold(folder=prepare(folder=folder))
"""
TERMINATE_SECONDS = 5.0


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[Path]:
    """The file the task waits for; opened at the end whatever happened, so a task that
    outlived a failed test does not hold a Ray CPU for the rest of the session."""
    yield tmp_path / "gate"
    (tmp_path / "gate").touch()


def test_terminate_stops_a_running_execution_and_its_task(
    endpoint: str, remote: Remote, project: str, tmp_path: Path, gate: Path
) -> None:
    package = write_package(tmp_path / "code", "gates", {"flows": GATED})
    launched = graven_json(
        endpoint, "run", f"{package}:gated", "-p", project, "--folder", str(tmp_path), "--no-wait"
    )
    execution_id, name = execution_ref(launched)
    pid = int(wait_for_file(tmp_path / "hold.pid"))

    asked = time.monotonic()
    result = graven(endpoint, "terminate", name, "--reason", "e2e test")
    assert result.returncode == 0, result.stderr
    final = finish(remote, execution_id, timeout=TERMINATE_SECONDS - (time.monotonic() - asked))
    assert time.monotonic() - asked < TERMINATE_SECONDS
    assert final.closure.phase == ex.EXECUTION_PHASE_TERMINATED

    # Were the task still running, opening its gate would let it write past it and return,
    # and its worker process would live on.
    gate.touch()
    wait_for_exit(pid, timeout=TERMINATE_SECONDS)
    assert not (tmp_path / "past-the-gate").exists()

    nodes = {n.id.node_id: n.phase for n in remote.node_executions(execution_id)}
    assert nodes == {"n0": ex.NODE_PHASE_SUCCEEDED, "n1": ex.NODE_PHASE_TERMINATED}
    listed = graven_json(endpoint, "executions", "list", "-p", project, "--phase", "terminated")
    assert [e["id"]["name"] for e in listed] == [execution_id.name]
