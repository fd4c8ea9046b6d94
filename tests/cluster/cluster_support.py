"""Processes the cluster tests start and stop: the nodes of a Ray cluster (`ray start`), Graven
agents (`graven agent`) and control planes (`graven up --no-agent`), each in a session of its
own so that stopping it reaches every process it started and nothing else.

`ray stop` is no way to stop a test's cluster: it finds Ray processes by name across the whole
machine, so it would also stop the Ray of every other test run and engineer sharing it. Each
node here is a `ray start --block` in a new session instead: SIGTERM to that command stops its
node, and whatever is left in the session (a worker, say) is killed by process id.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from auth_support import agent_token_for, remember_home, token_for
from data_plane.dp_support import wait_until
from e2e.e2e_support import write_package

from graven.ports import free_loopback_port
from graven.remote import Remote
from graven.v1.identifier_pb2 import RESOURCE_TYPE_WORKFLOW, ExecutionIdentifier

# Every Ray process of a cluster, and every driver joining it, must agree on this (Ray 2.60
# turns token authentication on by default). The session's closed Ray (conftest.ray_address)
# leaves its loopback-only setting in this process's environment: these nodes span addresses.
RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1"}
SPECIAL = "special"
PROJECT = "cluster"
# Logical CPUs: the tests hold up to four tasks at a gate at once, on a 2-core machine.
CPUS_PER_NODE = 2
OBJECT_STORE_BYTES = 100 << 20
START_SECONDS = 90.0
STOP_SECONDS = 20.0
READY_SECONDS = 120.0


def _session_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    fields = stat.rpartition(")")[2].split()
    if fields[0] == "Z":  # a zombie waiting for its parent is gone for our purposes
        return None
    return int(fields[3])


def session_pids(session: int) -> list[int]:
    """The live processes of a session (the session id is its leader's pid)."""
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [pid for pid in pids if _session_of(pid) == session]


class Service:
    """A command in a session of its own, its output in a log file."""

    def __init__(self, argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.log = log
        with log.open("a") as out:
            self.process = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **RAY_ENV, **(env or {})},
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, pattern: str, timeout: float = START_SECONDS) -> None:
        """Until the command has printed a line matching ``pattern`` (a multi-line regex)."""

        def printed() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.argv} exited:\n{self.output()[-4000:]}")
            return re.search(pattern, self.output(), re.MULTILINE) is not None

        wait_until(printed, timeout, f"{pattern!r} from {self.argv[:4]}")

    def kill(self) -> None:
        """kill -9 of the command itself (not of what it started), as a crash would."""
        self.process.kill()
        self.process.wait(STOP_SECONDS)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to every process of the session still there after a while."""
        if self.process.poll() is None:
            self.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        while session_pids(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in session_pids(self.pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(STOP_SECONDS)


@dataclass(frozen=True)
class RayCluster:
    """A running cluster: its address and the ids of its two nodes."""

    address: str
    head_node: str
    special_node: str


def _ray(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("ray")), "start", *args]


def _node_ports() -> list[str]:
    """Ports of our own for what Ray would otherwise put on fixed defaults that two nodes on
    one machine, or two clusters, would fight over."""
    options = (
        "--node-manager-port",
        "--object-manager-port",
        "--metrics-export-port",
        "--dashboard-agent-listen-port",
        "--dashboard-agent-grpc-port",
        "--runtime-env-agent-port",
    )
    return [f"{option}={free_loopback_port()}" for option in options]


NODES_SCRIPT = """
import json, sys, time
import ray
ray.init(address=sys.argv[1], log_to_driver=False, logging_level="ERROR")
deadline = time.monotonic() + float(sys.argv[3])
while True:
    alive = [n for n in ray.nodes() if n["Alive"]]
    if len(alive) >= int(sys.argv[2]) or time.monotonic() > deadline:
        break
    time.sleep(0.1)
print(json.dumps([{"id": n["NodeID"], "resources": n["Resources"]} for n in alive]))
"""


@dataclass(frozen=True)
class RayNode:
    id: str
    resources: dict[str, float]


def alive_nodes(address: str, at_least: int) -> list[RayNode]:
    """``ray.nodes()`` of the cluster, asked from a driver of its own (this test process may
    already be the driver of another cluster), once ``at_least`` nodes are alive."""
    done = subprocess.run(
        [sys.executable, "-c", NODES_SCRIPT, address, str(at_least), str(START_SECONDS)],
        capture_output=True,
        text=True,
        timeout=START_SECONDS + 60,
        env={**os.environ, **RAY_ENV},
        check=True,
    )
    return [RayNode(**node) for node in json.loads(done.stdout.strip().splitlines()[-1])]


@contextmanager
def two_node_cluster(logs: Path) -> Iterator[RayCluster]:
    """A head and a second node offering the custom resource ``special``, as two `ray start`
    processes. Ray replaces a loopback --node-ip-address by the machine's own address, so
    the nodes register under that; both listen on this machine only."""
    # Unix sockets live in the temporary folder: its path must stay short.
    temp = tempfile.mkdtemp(prefix="gr-")
    port = free_loopback_port()
    common = [
        "--node-ip-address=127.0.0.1",
        f"--num-cpus={CPUS_PER_NODE}",
        f"--object-store-memory={OBJECT_STORE_BYTES}",
        "--disable-usage-stats",
        "--block",
    ]
    nodes: list[Service] = []
    try:
        head = Service(
            _ray(
                "--head",
                f"--port={port}",
                f"--ray-client-server-port={free_loopback_port()}",
                "--include-dashboard=false",
                f"--temp-dir={temp}",
                *common,
                *_node_ports(),
            ),
            logs / "ray-head.log",
        )
        nodes.append(head)
        head.wait_for_output(r"Ray runtime started\.$")
        address = f"127.0.0.1:{port}"
        second = Service(
            _ray(
                f"--address={address}",
                f"--resources={json.dumps({SPECIAL: 1})}",
                *common,
                *_node_ports(),
            ),
            logs / "ray-node.log",
        )
        nodes.append(second)
        alive = alive_nodes(address, 2)
        assert len(alive) == 2, f"the second node did not join: {alive}"
        (special,) = [n.id for n in alive if SPECIAL in n.resources]
        (head_node,) = [n.id for n in alive if SPECIAL not in n.resources]
        yield RayCluster(address, head_node=head_node, special_node=special)
    finally:
        for node in reversed(nodes):
            node.stop()
        shutil.rmtree(temp, ignore_errors=True)


def graven_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "graven.cli", *args]


# (endpoint, agent id, extra options) -> the running agent; the fixture stops it after.
StartAgent = Callable[..., Service]


def start_agent(logs: Path, endpoint: str, ray_address: str, name: str, *args: str) -> Service:
    """`graven agent` joined to the cluster by address."""
    return Service(
        graven_command(
            "agent", "--endpoint", endpoint, "--ray", ray_address, "--agent-id", name, *args
        ),
        logs / f"{name}.log",
        env={"GRAVEN_TOKEN": agent_token_for(endpoint)},
    )


def start_control_plane(log: Path, home: Path, grpc_port: int, db: str) -> Service:
    """`graven up --no-agent`, as a team runs the control plane beside separate agents; back
    once it serves."""
    plane = Service(
        graven_command(
            "up",
            "--no-agent",
            "--home",
            str(home),
            "--grpc-port",
            str(grpc_port),
            "--http-port",
            str(free_loopback_port()),
            "--db",
            db,
        ),
        log,
        env={"COLUMNS": "200"},
    )
    plane.wait_for_output(r"^ready$", READY_SECONDS)
    remember_home(f"127.0.0.1:{grpc_port}", home)
    return plane


# The project the cluster tests register: tasks that say where they ran and leave one line
# per run in a folder, so the tests count side effects rather than reports.
FLOWS = """
import os
import time
from pathlib import Path

import ray

from graven import Resources, task, workflow

# A task waiting on its test gives up after this long: a broken test fails instead of hanging.
PATIENCE_SECONDS = 90.0
WIDTH = 4


def _node() -> str:
    return ray.get_runtime_context().get_node_id()


def _wait_for(condition, what):
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {PATIENCE_SECONDS} s for {what}")
        time.sleep(0.02)


def _record(folder: str, name: str, text: str) -> int:
    path = Path(folder, name)
    with path.open("a") as f:
        f.write(text + "\\n")
    return len(path.read_text().splitlines())


@task(resources=Resources(custom={"special": 1}))
def where() -> str:
    return _node()


@workflow
def pinned() -> str:
    return where()


@task
def leaf(folder: str, i: int) -> str:
    # Every leaf holds its CPU until all of them run at once, which no single node can host.
    Path(folder, f"leaf-{i}").write_text(_node())
    _wait_for(lambda: len(list(Path(folder).glob("leaf-*"))) >= WIDTH, "all leaves at once")
    return _node()


@task
def gather(nodes: list[str]) -> list[str]:
    return nodes


@workflow
def spread(folder: str) -> list[str]:
    return gather(nodes=[leaf(folder=folder, i=i) for i in range(WIDTH)])


@task
def step(folder: str, name: str, x: int, gated: bool) -> int:
    Path(folder, f"started-{name}").write_text(str(os.getpid()))
    if gated:
        _wait_for(lambda: Path(folder, f"gate-{name}").exists(), f"the gate of {name}")
    # The Ray job is the agent that ran this: each agent is a driver of its own.
    _record(folder, f"ran-{name}", ray.get_runtime_context().get_job_id())
    return x + 1


@workflow
def chain(folder: str) -> int:
    a = step(folder=folder, name="a", x=0, gated=False)
    b = step(folder=folder, name="b", x=a, gated=True)
    return step(folder=folder, name="c", x=b, gated=True)


@workflow
def single(folder: str) -> int:
    return step(folder=folder, name="only", x=0, gated=True)


@task(retries=1)
def fragile(folder: str) -> int:
    runs = _record(folder, "attempts", str(os.getpid()))
    if runs == 1:
        Path(folder, "victim").write_text(str(os.getpid()))
        _wait_for(lambda: False, "the test to kill this worker")
    return runs


@workflow
def survives(folder: str) -> int:
    return fragile(folder=folder)
"""


def register_flows(endpoint: str, root: Path) -> dict[str, str]:
    """Register FLOWS as the package ``flows``; the version of each workflow, by short name."""
    package = write_package(root, "clusterflows", {"flows": FLOWS})
    with Remote(endpoint, token=token_for(endpoint)) as remote:
        registered = remote.register(package, project=PROJECT)
    prefix = "clusterflows.flows."
    return {
        r.id.name.removeprefix(prefix): r.id.version
        for r in registered
        if r.id.resource_type == RESOURCE_TYPE_WORKFLOW
    }


def launch(
    remote: Remote, versions: dict[str, str], workflow: str, **inputs: object
) -> ExecutionIdentifier:
    name = f"clusterflows.flows.{workflow}"
    return remote.launch(name, inputs, project=PROJECT, version=versions[workflow]).id


def ran(folder: Path, name: str) -> list[str]:
    """The Ray jobs (agents) that ran step ``name`` to its end, one per run."""
    path = folder / f"ran-{name}"
    return path.read_text().splitlines() if path.exists() else []


def open_gate(folder: Path, step: str) -> None:
    """Let a gated step of FLOWS go on (it waits for this file)."""
    (folder / f"gate-{step}").touch()
