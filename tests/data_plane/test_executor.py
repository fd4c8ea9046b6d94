"""The DAG walk on a real local Ray, driven with hand-built claims (no control plane)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from dp_support import (
    EventLog,
    claim,
    collection,
    mapping,
    node,
    pid_alive,
    promise,
    read_outputs,
    static,
    task,
    upload_project,
    wait_until,
    workflow,
    workflow_input,
)

from graven.data_plane.executor import Executor
from graven.data_plane.walk_nodes import Backoff
from graven.literals import to_literal, to_python
from graven.store import ObjectStore, layout
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import NodeExecutionIdentifier
from graven.v1.workflow_pb2 import FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE

pytestmark = pytest.mark.usefixtures("ray_address")

STEPS = """
    import os
    import time
    from pathlib import Path

    from graven.task import task


    def _count(folder: str, name: str) -> int:
        # One line per run: the test counts side effects, not reports.
        path = Path(folder) / name
        with path.open("a") as f:
            f.write(f"{os.getpid()}\\n")
        return len(path.read_text().splitlines())


    @task
    def add(a: int, b: int) -> int:
        return a + b


    @task
    def total(values: list[int], weights: dict[str, int]) -> int:
        return sum(values) * weights["w"]


    @task
    def flaky(folder: str, failures: int) -> str:
        runs = _count(folder, "flaky")
        if runs <= failures:
            raise ValueError(f"flaky failure number {runs}")
        return f"ok after {runs}"


    def stall(folder: str) -> int:
        Path(folder, f"started-{os.getpid()}").write_text(str(os.getpid()))
        while True:
            Path(folder, "beat").write_text(str(time.time()))
            time.sleep(0.05)


    def rendezvous(folder: str, me: str, other: str) -> float:
        # Succeeds only if the other node runs at the same time as this one.
        Path(folder, me).write_text(str(time.time()))
        deadline = time.time() + 30
        while not Path(folder, other).exists():
            if time.time() > deadline:
                raise TimeoutError(f"{other} never ran beside {me}")
            time.sleep(0.01)
        return time.time()


    def counted(folder: str, name: str, x: int) -> int:
        _count(folder, name)
        return x + 1


    def shout(folder: str, text: str) -> str:
        _count(folder, "shout")
        return text.upper()
"""


@pytest.fixture
def steps(store: ObjectStore, tmp_path: Path) -> str:
    return upload_project(store, tmp_path / "project", {"steps.py": STEPS})


def run(store: ObjectStore, response: pb.Execution | object, **kwargs: object) -> EventLog:
    log = EventLog()
    Executor(response, store, log, backoff=Backoff(base=0.01)).run()  # type: ignore[arg-type]
    return log


def test_bindings_of_every_kind_flow_through_a_graph(store: ObjectStore, steps: str) -> None:
    add = task(steps, "steps", "add", {"a": int, "b": int}, {"o0": int})
    total = task(
        steps, "steps", "total", {"values": list[int], "weights": dict[str, int]}, {"o0": int}
    )
    wf = workflow(
        [
            node("n1", add, a=workflow_input("x"), b=static(2, int)),
            node("n2", add, a=promise("n1"), b=static(10, int)),
            node("n3", add, a=workflow_input("x"), b=workflow_input("x")),
            node(
                "sum",
                total,
                values=collection(promise("n1"), promise("n2"), promise("n3"), static(100, int)),
                weights=mapping(w=promise("n1")),
            ),
        ],
        [add, total],
        inputs={"x": int},
        outputs={"result": (promise("sum"), int), "first": (promise("n1"), int)},
    )
    response = claim(store, wf, {"x": to_literal(5, int)})
    log = run(store, response)

    assert log.execution_phases() == [pb.EXECUTION_PHASE_RUNNING, pb.EXECUTION_PHASE_SUCCEEDED]
    # n1 = 7, n2 = 17, n3 = 10, sum = (7 + 17 + 10 + 100) * 7
    final = [e.execution for e in log.events if e.HasField("execution")][-1]
    outputs = read_outputs(store, final.outputs_uri)
    assert to_python(outputs.literals["result"], int) == 134 * 7
    assert to_python(outputs.literals["first"], int) == 7
    assert final.outputs_uri == store.uri(layout.execution_outputs_key(response.execution.id))
    for node_id in ("n1", "n2", "n3", "sum"):
        assert log.node_phases(node_id) == [
            (1, pb.NODE_PHASE_RUNNING),
            (1, pb.NODE_PHASE_SUCCEEDED),
        ]
        events = log.node_events(node_id)
        assert events[0].inputs_uri
        assert events[1].outputs_uri
        assert store.exists(store.key_of(events[0].inputs_uri))
    n2_inputs = read_outputs(store, log.node_events("n2")[0].inputs_uri)
    assert to_python(n2_inputs.literals["a"], int) == 7
    assert to_python(n2_inputs.literals["b"], int) == 10


def test_a_task_failing_twice_succeeds_on_its_third_attempt(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    flaky = task(steps, "steps", "flaky", {"folder": str, "failures": int}, {"o0": str}, retries=2)
    shout = task(steps, "steps", "shout", {"folder": str, "text": str}, {"o0": str})
    folder = static(str(tmp_path), str)
    wf = workflow(
        [
            node("f", flaky, folder=folder, failures=static(2, int)),
            # Submitted behind each failed attempt of f, withdrawn, and run once behind the last.
            node("loud", shout, folder=folder, text=promise("f")),
        ],
        [flaky, shout],
        outputs={"o": (promise("loud"), str)},
    )
    log = run(store, claim(store, wf))

    assert log.node_phases("f") == [
        (1, pb.NODE_PHASE_RUNNING),
        (1, pb.NODE_PHASE_RETRYING),
        (2, pb.NODE_PHASE_RUNNING),
        (2, pb.NODE_PHASE_RETRYING),
        (3, pb.NODE_PHASE_RUNNING),
        (3, pb.NODE_PHASE_SUCCEEDED),
    ]
    retrying = [e for e in log.node_events("f") if e.phase == pb.NODE_PHASE_RETRYING]
    assert [e.error.message for e in retrying] == [
        "flaky failure number 1",
        "flaky failure number 2",
    ]
    assert all(e.error.kind == pb.ERROR_KIND_USER for e in retrying)
    assert log.execution_phases()[-1] == pb.EXECUTION_PHASE_SUCCEEDED
    assert len((tmp_path / "flaky").read_text().splitlines()) == 3
    assert len((tmp_path / "shout").read_text().splitlines()) == 1
    assert log.node_phases("loud") == [(1, pb.NODE_PHASE_RUNNING), (1, pb.NODE_PHASE_SUCCEEDED)]
    final = [e.execution for e in log.events if e.HasField("execution")][-1]
    assert to_python(read_outputs(store, final.outputs_uri).literals["o"], str) == "OK AFTER 3"


def test_retries_exhausted_fail_with_the_users_exception_and_skip_downstream(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    flaky = task(steps, "steps", "flaky", {"folder": str, "failures": int}, {"o0": str}, retries=1)
    add = task(steps, "steps", "add", {"a": int, "b": int}, {"o0": int})
    wf = workflow(
        [
            node("f", flaky, folder=static(str(tmp_path), str), failures=static(5, int)),
            node("after", add, after=("f",), a=static(1, int), b=static(1, int)),
            node("beside", add, a=static(1, int), b=static(2, int)),
        ],
        [flaky, add],
        failure_policy=FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    )
    log = run(store, claim(store, wf))

    assert log.node_phases("f")[-1] == (2, pb.NODE_PHASE_FAILED)
    failed = log.node_events("f")[-1]
    assert failed.error.kind == pb.ERROR_KIND_USER
    assert failed.error.type == "ValueError"
    assert failed.error.message == "flaky failure number 2"
    assert 'raise ValueError(f"flaky failure number {runs}")' in failed.error.traceback
    assert "steps.py" in failed.error.traceback
    assert "graven/data_plane" not in failed.error.traceback
    assert log.node_phases("after") == [(0, pb.NODE_PHASE_SKIPPED)]
    # Under this policy an independent node still runs to the end.
    assert log.node_phases("beside")[-1] == (1, pb.NODE_PHASE_SUCCEEDED)
    final = [e.execution for e in log.events if e.HasField("execution")][-1]
    assert final.phase == pb.EXECUTION_PHASE_FAILED
    assert final.error.node_id == "f"
    assert final.error.type == "ValueError"


def test_by_default_a_failure_stops_the_independent_nodes_at_once(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    flaky = task(steps, "steps", "flaky", {"folder": str, "failures": int}, {"o0": str})
    stall = task(steps, "steps", "stall", {"folder": str}, {"o0": int})
    add = task(steps, "steps", "add", {"a": int, "b": int}, {"o0": int})
    folder = static(str(tmp_path), str)
    wf = workflow(
        [
            # f fails only once "beside" is surely running: it waits for "ready" first.
            node("beside", stall, folder=folder),
            node("ready", add, a=static(1, int), b=static(2, int)),
            node("f", flaky, after=("ready",), folder=folder, failures=static(5, int)),
        ],
        [flaky, stall, add],
    )
    started = time.monotonic()
    log = run(store, claim(store, wf))

    assert log.node_phases("f")[-1] == (1, pb.NODE_PHASE_FAILED)
    # The stalled node was running and is stopped: the walk does not wait for it.
    assert log.node_phases("beside")[-1] == (1, pb.NODE_PHASE_TERMINATED)
    assert log.node_events("beside")[-1].error.message == "stopped: node f failed"
    assert time.monotonic() - started < 20
    final = [e.execution for e in log.events if e.HasField("execution")][-1]
    assert final.phase == pb.EXECUTION_PHASE_FAILED
    assert final.error.node_id == "f"


def test_an_attempt_past_its_timeout_is_stopped_and_timed_out(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    stall = task(steps, "steps", "stall", {"folder": str}, {"o0": int}, timeout=1.0)
    wf = workflow([node("s", stall, folder=static(str(tmp_path), str))], [stall])
    started = time.monotonic()
    log = run(store, claim(store, wf))

    assert log.node_phases("s") == [(1, pb.NODE_PHASE_RUNNING), (1, pb.NODE_PHASE_TIMED_OUT)]
    assert log.node_events("s")[-1].error.kind == pb.ERROR_KIND_TIMEOUT
    final = [e.execution for e in log.events if e.HasField("execution")][-1]
    assert final.phase == pb.EXECUTION_PHASE_TIMED_OUT
    assert time.monotonic() - started < 10
    (pid_file,) = tmp_path.glob("started-*")
    pid = int(pid_file.read_text())
    wait_until(lambda: not pid_alive(pid), 10, "the timed-out worker to stop")


def test_terminate_cancels_running_tasks_within_seconds(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    stall = task(steps, "steps", "stall", {"folder": str}, {"o0": int})
    wf = workflow([node("s", stall, folder=static(str(tmp_path), str))], [stall])
    log = EventLog()
    executor = Executor(claim(store, wf), store, log)
    walk = threading.Thread(target=executor.run)
    walk.start()
    wait_until(lambda: any(tmp_path.glob("started-*")), 30, "the task to start")
    asked = time.monotonic()
    executor.terminate()
    log.wait_for(lambda log: pb.EXECUTION_PHASE_TERMINATED in log.execution_phases(), 5)
    assert time.monotonic() - asked < 5
    walk.join(5)
    assert log.node_phases("s")[-1] == (1, pb.NODE_PHASE_TERMINATED)
    pid = int(next(tmp_path.glob("started-*")).read_text())
    wait_until(lambda: not pid_alive(pid), 5, "the cancelled worker to stop")
    beat = (tmp_path / "beat").read_text()
    assert not pid_alive(pid)
    assert (tmp_path / "beat").read_text() == beat


def test_independent_nodes_run_at_the_same_time(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    meet = task(
        steps, "steps", "rendezvous", {"folder": str, "me": str, "other": str}, {"o0": float}
    )
    folder = static(str(tmp_path), str)
    wf = workflow(
        [
            node("left", meet, folder=folder, me=static("L", str), other=static("R", str)),
            node("right", meet, folder=folder, me=static("R", str), other=static("L", str)),
        ],
        [meet],
    )
    log = run(store, claim(store, wf))
    assert log.execution_phases()[-1] == pb.EXECUTION_PHASE_SUCCEEDED
    left_start = float((tmp_path / "L").read_text())
    right_start = float((tmp_path / "R").read_text())
    left_end = to_python(
        read_outputs(store, log.node_events("left")[-1].outputs_uri).literals["o0"], float
    )
    right_end = to_python(
        read_outputs(store, log.node_events("right")[-1].outputs_uri).literals["o0"], float
    )
    assert left_start < right_end
    assert right_start < left_end


def test_a_resumed_walk_runs_no_succeeded_node_again(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    counted = task(steps, "steps", "counted", {"folder": str, "name": str, "x": int}, {"o0": int})
    folder = static(str(tmp_path), str)
    wf = workflow(
        [
            node("a", counted, folder=folder, name=static("a", str), x=static(0, int)),
            node("b", counted, folder=folder, name=static("b", str), x=promise("a")),
            node("c", counted, folder=folder, name=static("c", str), x=promise("b")),
        ],
        [counted],
        outputs={"o": (promise("c"), int)},
    )
    first = claim(store, wf)
    run(store, first)
    assert [len((tmp_path / n).read_text().splitlines()) for n in "abc"] == [1, 1, 1]

    # A new agent resumes: "a" was reported, "b" finished unreported, "c" was running.
    execution_id = first.execution.id
    a_uri = store.uri(layout.node_outputs_key(execution_id, "a"))
    recorded = [
        pb.NodeExecution(
            id=NodeExecutionIdentifier(execution_id=execution_id, node_id="a"),
            phase=pb.NODE_PHASE_SUCCEEDED,
            outputs_uri=a_uri,
            attempts=[pb.NodeAttempt(attempt=1, phase=pb.NODE_PHASE_SUCCEEDED)],
        ),
        pb.NodeExecution(
            id=NodeExecutionIdentifier(execution_id=execution_id, node_id="c"),
            phase=pb.NODE_PHASE_RUNNING,
            attempts=[pb.NodeAttempt(attempt=1, phase=pb.NODE_PHASE_RUNNING)],
        ),
    ]
    c_outputs = store.root / layout.node_outputs_key(execution_id, "c")  # type: ignore[attr-defined]
    os.unlink(c_outputs)
    resumed = claim(store, wf, name=execution_id.name, recorded=recorded)
    log = run(store, resumed)

    assert [len((tmp_path / n).read_text().splitlines()) for n in "abc"] == [1, 1, 2]
    assert log.node_phases("a") == []
    assert log.node_phases("b") == [(1, pb.NODE_PHASE_SUCCEEDED)]
    assert log.node_phases("c") == [
        (1, pb.NODE_PHASE_RETRYING),
        (2, pb.NODE_PHASE_RUNNING),
        (2, pb.NODE_PHASE_SUCCEEDED),
    ]
    final = [e.execution for e in log.events if e.HasField("execution")][-1]
    assert to_python(read_outputs(store, final.outputs_uri).literals["o"], int) == 3
