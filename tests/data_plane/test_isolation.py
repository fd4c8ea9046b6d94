"""Two bundles that both define ``pipeline`` and ``helpers`` meet in one worker process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import ray
from dp_support import (
    EventLog,
    claim,
    node,
    promise,
    read_outputs,
    static,
    task,
    upload_project,
    workflow,
)

from graven.data_plane.executor import Executor
from graven.data_plane.outcomes import NodeRequest, NodeSuccess
from graven.data_plane.worker import execute_node
from graven.literals import to_python
from graven.store import ObjectStore, layout
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.workflow_pb2 import Binding, Node


def version_files(version: str) -> dict[str, str]:
    """A project whose pipeline imports a helper eagerly and another one at call time."""
    return {
        "pipeline.py": f"""
            import os

            import helpers
            from graven.task import task

            VERSION = "{version}"


            @task
            def describe(x: int) -> str:
                import lazy

                return f"{{VERSION}}:{{helpers.tag()}}:{{lazy.tag()}}:{{x}}:{{os.getpid()}}"
        """,
        "helpers.py": f"""
            def tag() -> str:
                return "helpers-{version}"
        """,
        "lazy.py": f"""
            def tag() -> str:
                return "lazy-{version}"
        """,
    }


@pytest.fixture
def bundles(store: ObjectStore, tmp_path: Path) -> dict[str, str]:
    return {
        version: upload_project(store, tmp_path / version, version_files(version))
        for version in ("v1", "v2")
    }


def request(store: ObjectStore, bundle: str, name: str, x: int) -> NodeRequest:
    execution_id = ExecutionIdentifier(project="tests", domain="dev", name=name)
    bindings = Node(inputs=[Binding(name="x", binding=static(x, int))])
    return NodeRequest(
        store_url=store.url,
        bundle_digest=bundle,
        module="pipeline",
        function="describe",
        bindings=bindings.SerializeToString(),
        workflow_inputs=b"",
        defaults=b"",
        upstream_ids=(),
        inputs_key=layout.node_inputs_key(execution_id, "n"),
        outputs_key=layout.node_outputs_key(execution_id, "n"),
    )


def described(outcome: object) -> str:
    assert isinstance(outcome, NodeSuccess), outcome
    return str(to_python(LiteralMap.FromString(outcome.outputs).literals["o0"], str))


class OneWorker:
    """A single Ray worker process (an actor), so every call below meets in one process."""

    def run(self, request: NodeRequest) -> object:
        return execute_node(request)

    def helpers_tag(self) -> str:
        return str(sys.modules["helpers"].tag())


# The actor class lives in this test module, which workers cannot import: ship it by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def worker(ray_address: str) -> Any:
    actor = ray.remote(num_cpus=0)(OneWorker).remote()
    yield actor
    ray.kill(actor)


def test_alternating_bundles_in_one_process_each_see_only_their_own_modules(
    store: ObjectStore, bundles: dict[str, str], worker: Any
) -> None:
    pids = set()
    for i, version in enumerate(["v1", "v2", "v1", "v2", "v2", "v1"]):
        outcome = ray.get(worker.run.remote(request(store, bundles[version], f"iso-{i}", i)))
        result, pid = described(outcome).rsplit(":", 1)
        assert result == f"{version}:helpers-{version}:lazy-{version}:{i}"
        pids.add(pid)
    assert len(pids) == 1


def test_the_active_bundle_is_what_sys_modules_shows(
    store: ObjectStore, bundles: dict[str, str], worker: Any
) -> None:
    described(ray.get(worker.run.remote(request(store, bundles["v1"], "iso-shadow", 1))))
    assert ray.get(worker.helpers_tag.remote()) == "helpers-v1"
    described(ray.get(worker.run.remote(request(store, bundles["v2"], "iso-shadow-2", 2))))
    assert ray.get(worker.helpers_tag.remote()) == "helpers-v2"


@pytest.mark.usefixtures("ray_address")
def test_two_versions_in_one_ray_worker(store: ObjectStore, bundles: dict[str, str]) -> None:
    tasks = {
        v: task(b, "pipeline", "describe", {"x": int}, {"o0": str}) for v, b in bundles.items()
    }
    # A chain alternating versions: a worker that served one version serves the next.
    order = ["v1", "v2", "v1", "v2", "v1", "v2"]
    built = [
        node(f"n{i}", tasks[v], after=(f"n{i - 1}",) if i else (), x=static(i, int))
        for i, v in enumerate(order)
    ]
    wf = workflow(built, list(tasks.values()), outputs={"last": (promise("n5"), str)})
    log = EventLog()
    Executor(claim(store, wf), store, log).run()
    assert log.execution_phases()[-1] == pb.EXECUTION_PHASE_SUCCEEDED
    for i, version in enumerate(order):
        outputs = read_outputs(store, log.node_events(f"n{i}")[-1].outputs_uri)
        result = to_python(outputs.literals["o0"], str)
        assert result.rsplit(":", 1)[0] == f"{version}:helpers-{version}:lazy-{version}:{i}"
