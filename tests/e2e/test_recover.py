"""Recovering a failed execution reruns the failed node and what follows it, nothing else."""

from __future__ import annotations

from pathlib import Path

from e2e_support import counted, execution_ref, graven_json, write_package

from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

PIPELINE = """
    from pathlib import Path
    from typing import NamedTuple

    from graven import task, workflow


    class Results(NamedTuple):
        published: str
        audited: str


    def record_run(folder: str, name: str) -> None:
        with Path(folder, name).open("a") as f:
            f.write("run\\n")


    @task
    def load(folder: str) -> int:
        record_run(folder, "load")
        return 20


    @task
    def transform(folder: str, value: int) -> int:
        record_run(folder, "transform")
        # The factor is set outside the code: fixing it needs no new version.
        return value * int(Path(folder, "factor.txt").read_text())


    @task
    def publish(folder: str, value: int) -> str:
        record_run(folder, "publish")
        return f"published {value}"


    @task
    def audit(folder: str, value: int) -> str:
        record_run(folder, "audit")
        return f"audited {value}"


    # Every node that does not depend on the failure still runs, so recover has more to
    # take over than the nodes before it.
    @workflow(failure_policy="fail_after_executable_nodes_complete")
    def pipeline(folder: str) -> Results:
        raw = load(folder=folder)
        published = publish(folder=folder, value=transform(folder=folder, value=raw))
        return Results(published=published, audited=audit(folder=folder, value=raw))
"""
NODES = ("load", "transform", "publish", "audit")


def runs(folder: Path) -> dict[str, int]:
    return {node: counted(folder, node) for node in NODES}


def test_recover_reruns_only_the_failed_node_and_its_downstream(
    endpoint: str, remote: Remote, project: str, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "code", "pipelines", {"flows": PIPELINE})
    (tmp_path / "factor.txt").write_text("two")
    failed = graven_json(
        endpoint,
        *("run", f"{package}:pipeline", "-p", project, "--folder", str(tmp_path)),
        exit_code=1,
    )
    assert failed["execution"]["closure"]["phase"] == "EXECUTION_PHASE_FAILED"
    assert failed["execution"]["closure"]["error"]["type"] == "ValueError"
    assert runs(tmp_path) == {"load": 1, "transform": 1, "publish": 0, "audit": 1}
    source_id, name = execution_ref(failed)

    (tmp_path / "factor.txt").write_text("2")
    recovered = graven_json(endpoint, "recover", name, "--wait")
    assert recovered["outputs"] == {"published": "published 40", "audited": "audited 20"}
    spec = recovered["execution"]["spec"]
    assert spec["mode"] == "EXECUTION_MODE_RECOVER"
    assert spec["source_execution_id"]["name"] == source_id.name
    assert runs(tmp_path) == {"load": 1, "transform": 2, "publish": 1, "audit": 1}

    recovery_id, _ = execution_ref(recovered)
    phases = {n.task_id.name.rsplit(".", 1)[1]: n for n in remote.node_executions(recovery_id)}
    assert {task: n.phase for task, n in phases.items()} == {
        "load": ex.NODE_PHASE_RECOVERED,
        "transform": ex.NODE_PHASE_SUCCEEDED,
        "publish": ex.NODE_PHASE_SUCCEEDED,
        "audit": ex.NODE_PHASE_RECOVERED,
    }
    assert phases["load"].source_execution_id == source_id
