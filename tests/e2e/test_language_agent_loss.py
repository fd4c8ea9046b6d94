"""`kill -9` of the agent in the middle of a map, then a new agent: the new agent takes the
execution over once the dead one's lease has expired, no element that succeeded runs again
(side effects counted in files), and the workflow finishes with the outputs of a local run.

The module runs a control plane of its own (SQLite and a folder) and its agents as
processes: claims are global, so the suite's shared agent must not take the execution, and
only a process can be killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_support import agent_token_for, remember
from e2e_support import REPO, execution_ref, finish, graven_json, wait_for_exit
from language_project import children, local, runs, wait_until, write_project
from stack_support import running_agent

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

COUNT = 20
HOLD_FROM = 10  # elements from here on wait for the gate file
# The dead agent's lease (10 s) must expire before the new agent may claim the execution.
TAKEOVER_SECONDS = 90.0


@pytest.fixture(name="agent", scope="module")
def no_shared_agent() -> None:
    """In place of the suite's agent: this module starts and kills its own."""


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    running = ControlPlane(Settings.for_home(tmp_path_factory.mktemp("home"), grpc_port=0))
    running.start()
    yield remember(running)
    running.stop(grace=None)


@pytest.fixture(name="endpoint", scope="module")
def plane_endpoint(plane: ControlPlane) -> str:
    return plane.grpc_address


def agent_process(endpoint: str, ray_address: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "graven.cli", "agent", "--endpoint", endpoint],
            cwd=REPO,
            env={
                **os.environ,
                "GRAVEN_RAY": ray_address,
                "GRAVEN_TOKEN": agent_token_for(endpoint),
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def started(folder: Path) -> list[tuple[int, int]]:
    """(element, worker pid) of every start of a held element, in order."""
    return [(int(x), int(pid)) for x, pid in (line.split() for line in runs(folder, "started"))]


def held_pids(folder: Path) -> list[int] | None:
    """The workers of the two elements holding at the gate, once both have started."""
    pids = [pid for x, pid in started(folder) if x >= HOLD_FROM]
    return pids if len(pids) >= 2 else None


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """Where the remote run records its side effects. Its gate is opened at the end whatever
    happened, so an element that outlived a failed test does not hold a Ray CPU."""
    remote = tmp_path / "remote"
    remote.mkdir()
    yield remote
    (remote / "gate").touch()


def test_a_killed_agent_mid_map_is_replaced_and_no_element_runs_twice(
    endpoint: str, remote: Remote, ray_address: str, project: str, folder: Path, tmp_path: Path
) -> None:
    package = write_project(tmp_path / "code")
    here = tmp_path / "local"
    here.mkdir()
    (here / "gate").touch()
    expected = local(package).held(folder=str(here), count=COUNT, hold_from=HOLD_FROM)

    doomed = agent_process(endpoint, ray_address, tmp_path / "doomed.log")
    try:
        printed = graven_json(
            endpoint,
            *("run", f"{package}:held", "-p", project, "--folder", str(folder)),
            *("--count", str(COUNT), "--hold-from", str(HOLD_FROM), "--no-wait"),
        )
        execution_id, _ = execution_ref(printed)
        # concurrency=2: once the elements before HOLD_FROM are done, the next two start
        # and hold, and the map is in the middle.
        holding = wait_until(lambda: held_pids(folder), "two held elements to start")
        # Their RUNNING events must have reached the control plane too (they leave the agent
        # in batches): that is what makes the new agent record their attempts as lost.
        wait_until(
            lambda: (
                {
                    n.id.node_id
                    for n in children(remote, execution_id, "n1")
                    if n.phase == ex.NODE_PHASE_RUNNING
                }
                >= {f"n1/{HOLD_FROM}", f"n1/{HOLD_FROM + 1}"}
                or None
            ),
            "the held elements to be recorded running",
        )
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(10)
    done_before = Counter(runs(folder, "held"))
    assert set(done_before) == {str(x) for x in range(HOLD_FROM)}
    # Ray stops the tasks of a driver that died; the held ones never got past the gate.
    for pid in holding:
        wait_for_exit(pid, timeout=30)
    (folder / "gate").touch()

    with running_agent(endpoint, ray_address, tmp_path / "successor.log"):
        final = finish(remote, execution_id, timeout=TAKEOVER_SECONDS)
    assert final.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED, final.closure.error
    assert remote.outputs(execution_id) == {"o0": expected} == {"o0": sum(x * x for x in range(20))}
    # Every element's body ran to its end exactly once, over both agents.
    assert Counter(runs(folder, "held")) == Counter(str(x) for x in range(COUNT))
    starts = Counter(x for x, _ in started(folder))
    assert all(starts[x] == 1 for x in range(HOLD_FROM)), starts
    mapped = {n.id.node_id: n for n in children(remote, execution_id, "n1")}
    assert sorted(mapped) == sorted(f"n1/{x}" for x in range(COUNT))
    assert {n.phase for n in mapped.values()} == {ex.NODE_PHASE_SUCCEEDED}
    # The two interrupted elements keep their lost attempt on record; it cost no retry.
    for x in (HOLD_FROM, HOLD_FROM + 1):
        attempts = mapped[f"n1/{x}"].attempts
        assert [a.phase for a in attempts] == [ex.NODE_PHASE_FAILED, ex.NODE_PHASE_SUCCEEDED]
        assert attempts[0].error.type == "AgentLost"
    assert all(len(mapped[f"n1/{x}"].attempts) == 1 for x in range(HOLD_FROM))
