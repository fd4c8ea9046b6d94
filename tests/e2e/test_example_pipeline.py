"""The shipped ML pipeline (examples/pipeline) through the whole stack, as its README tour
runs it: registered with the CLI, run, held at its approval gate until `graven approve`,
then published; or rejected, when its on_failure clean-up records the incident. Every
output equals the same workflow run locally as plain Python (``graven.local_signals`` giving
the approval), on SQLite and on PostgreSQL.

The run the tests make has a sensor outage over samples 100-150, which is all of shard 2
(8 shards of 50): that map element fails, the map tolerates it (min_success_ratio 0.5), and
with ``min_rows`` 380 the 350 rows left send the data-quality branch to its "more data"
case (augment), skipping shuffle.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from e2e_support import REPO, execution_ref, finish, graven, graven_json
from language_project import children, node_in, nodes_by_id, phase_names, table_rows, wait_until

from graven import local_signals
from graven.launch_plan import LaunchPlan
from graven.literals import to_python
from graven.loader import Project, load_project
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1 import signal_pb2 as sig
from graven.v1.identifier_pb2 import ExecutionIdentifier

EXAMPLE = REPO / "examples" / "pipeline"
GATE = "publish-model"
OUTAGE = {"outage_from": 100, "outage_to": 150, "min_rows": 380}
SHARDS = 8
# ml_pipeline's node ids (see examples/pipeline/workflows.py): n1 prepare, whose n2 is the
# map and n5 the branch (n6 shuffle, n7 augment); n3 the baseline launch plan; n4 the gate.
MAP, BRANCH, SHUFFLE, AUGMENT = "n1/n2", "n1/n5", "n1/n5/n6", "n1/n5/n7"
BASELINE, APPROVAL, PUBLISH = "n3", "n4", "n5"
FAILED_SHARD = f"{MAP}/2"


@pytest.fixture(scope="module")
def example() -> Project:
    """The example imported here, so its workflows can run as plain Python."""
    return load_project(EXAMPLE)


@pytest.fixture
def registries(tmp_path: Path) -> tuple[Path, Path]:
    """The model registry (a folder) of the run on the stack, and of the local run, apart."""
    return tmp_path / "registry", tmp_path / "local-registry"


def workflow(project: Project, name: str) -> Any:
    (found,) = [w for w in project.workflows if w.name == f"pipeline.workflows.{name}"]
    return found


def cli_inputs(inputs: dict[str, object]) -> list[str]:
    """``--name value`` pairs as `graven run` reads them (JSON values, dashes for _)."""
    pairs: list[str] = []
    for name, value in inputs.items():
        text = value if isinstance(value, str) else json.dumps(value)
        pairs += [f"--{name.replace('_', '-')}", text]
    return pairs


def waiting(remote: Remote, execution_id: ExecutionIdentifier) -> sig.Signal | None:
    """The approval's signal once the gate waits on it with no value yet."""
    for signal in remote.signals(execution_id):
        if signal.id.signal_id == GATE and not signal.HasField("value"):
            return signal
    return None


def launch_to_the_gate(
    endpoint: str, remote: Remote, project: str, registry: Path
) -> tuple[ExecutionIdentifier, str]:
    """Register the example with the CLI, launch ml_pipeline, and return once it waits for
    its approval (the model trained, nothing published)."""
    registered = graven(endpoint, "register", str(EXAMPLE), "-p", project)
    assert registered.returncode == 0, registered.stderr
    assert "pipeline.baseline" in registered.stdout
    printed = graven_json(
        endpoint,
        *("run", f"{EXAMPLE}:ml_pipeline", "-p", project, "--no-wait"),
        *cli_inputs({"registry": str(registry), **OUTAGE}),
    )
    execution_id, name = execution_ref(printed)
    running = ex.NODE_PHASE_RUNNING
    wait_until(lambda: node_in(remote, execution_id, APPROVAL, running), "the approval to wait")
    signal = wait_until(lambda: waiting(remote, execution_id), "the approval's signal")
    assert signal.node_id == APPROVAL
    assert remote.execution(execution_id).closure.phase == ex.EXECUTION_PHASE_RUNNING
    assert not (registry / "churn").exists(), "published before the approval"
    return execution_id, name


def plan_values(plan: LaunchPlan) -> dict[str, object]:
    """The inputs a launch plan supplies, as the Python values its workflow takes."""
    types = {p.name: p.python_type for p in plan.workflow.interface.inputs}
    literals = {**plan.default_inputs, **plan.fixed_inputs}
    return {name: to_python(value, types[name]) for name, value in literals.items()}


def test_the_pipeline_waits_for_approval_then_publishes_what_a_local_run_publishes(
    endpoint: str, remote: Remote, project: str, example: Project, registries: tuple[Path, Path]
) -> None:
    registry, here = registries
    with local_signals({GATE: True}):
        expected = workflow(example, "ml_pipeline")(registry=str(here), **OUTAGE)
    execution_id, name = launch_to_the_gate(endpoint, remote, project, registry)

    listed = graven(endpoint, "signal", "list", name, "-p", project)
    assert listed.returncode == 0, listed.stderr
    assert GATE in listed.stdout
    assert "waiting" in listed.stdout
    approved = graven(endpoint, "approve", name, GATE, "-p", project, "--set-by", "reviewer")
    assert approved.returncode == 0, approved.stderr
    assert f"{GATE} = true by reviewer" in approved.stdout

    final = finish(remote, execution_id)
    assert final.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED, final.closure.error
    assert remote.outputs(execution_id) == {"o0": dataclasses.asdict(expected)}
    # The same model card, byte for byte, under the same content-derived version.
    card = Path(expected.path)
    assert (registry / card).read_bytes() == (here / card).read_bytes()

    nodes = nodes_by_id(remote, execution_id)
    phases = phase_names(nodes)
    # The branch took "more data" and skipped shuffle.
    assert phases[BRANCH] == "SUCCEEDED"
    assert phases[AUGMENT] == "SUCCEEDED"
    assert phases[SHUFFLE] == "SKIPPED"
    # One map element per shard; the shard lost to the outage failed with its reason, and
    # the map (and the run) went on without it.
    elements = children(remote, execution_id, MAP)
    assert sorted(e.id.node_id for e in elements) == [f"{MAP}/{i}" for i in range(SHARDS)]
    assert {e.id.node_id for e in elements if e.phase != ex.NODE_PHASE_SUCCEEDED} == {FAILED_SHARD}
    assert phases[FAILED_SHARD] == "FAILED"
    lost = nodes[FAILED_SHARD]
    assert lost.error.type == "ValueError"
    assert "50 of 50 samples have missing readings" in lost.error.message
    assert "featurize" in lost.error.traceback
    # featurize has retries=1: each element is retried on its own.
    assert [a.phase for a in lost.attempts] == [ex.NODE_PHASE_FAILED] * 2
    assert phases[MAP] == "SUCCEEDED"
    assert {phases[n] for n in ("n0", "n1", "n2", BASELINE, APPROVAL, PUBLISH)} == {"SUCCEEDED"}
    (signal,) = remote.signals(execution_id)
    assert signal.set_by == "reviewer"

    # The baseline launch plan ran as a child execution, linked both ways, with the plan's
    # defaults: the same metrics as its workflow run locally with them.
    child_id = nodes[BASELINE].child_execution_id
    child = remote.execution(child_id)
    assert child.spec.mode == ex.EXECUTION_MODE_CHILD
    assert child.spec.parent_node_execution.execution_id == execution_id
    assert child.spec.parent_node_execution.node_id == BASELINE
    assert child.spec.launch_plan_id.name == "pipeline.baseline"
    (plan,) = example.launch_plans
    reference = workflow(example, "experiment")(**plan_values(plan))
    assert remote.outputs(child_id) == {"o0": dataclasses.asdict(reference)}
    assert expected.baseline_accuracy == reference.accuracy

    shown = graven(endpoint, "executions", "get", name, "-p", project)
    assert shown.returncode == 0, shown.stderr
    rows = table_rows(shown.stdout)
    assert "SKIPPED" in rows[SHUFFLE]
    assert "SUCCEEDED" in rows[AUGMENT]
    assert "FAILED" in rows[FAILED_SHARD]


def test_a_rejected_model_is_not_published_and_the_cleanup_records_why(
    endpoint: str, remote: Remote, project: str, example: Project, registries: tuple[Path, Path]
) -> None:
    registry, here = registries
    with local_signals({GATE: False}), pytest.raises(Exception, match="rejected"):
        workflow(example, "ml_pipeline")(registry=str(here), **OUTAGE)
    expected = json.loads((here / "incidents" / "churn.json").read_text())
    execution_id, name = launch_to_the_gate(endpoint, remote, project, registry)

    rejected = graven(endpoint, "approve", name, GATE, "--reject", "-p", project)
    assert rejected.returncode == 0, rejected.stderr
    final = finish(remote, execution_id)
    assert final.closure.phase == ex.EXECUTION_PHASE_FAILED
    assert not (registry / "churn").exists()
    phases = phase_names(nodes_by_id(remote, execution_id))
    assert phases[APPROVAL] == "FAILED"
    assert phases[PUBLISH] == "SKIPPED"
    assert phases["on-failure"] == "SUCCEEDED"

    # The clean-up received the error: the node that failed and why, as locally.
    incident = json.loads((registry / "incidents" / "churn.json").read_text())
    assert incident["node_id"] == expected["node_id"] == APPROVAL
    assert incident["kind"] == expected["kind"] == "USER"
    assert "reject" in incident["message"]


def test_the_baseline_launch_plan_runs_from_the_cli_with_its_defaults(
    endpoint: str, project: str, example: Project
) -> None:
    printed = graven_json(endpoint, "run", f"{EXAMPLE}:baseline", "-p", project, "--seed", "3")
    assert printed["execution"]["closure"]["phase"] == "EXECUTION_PHASE_SUCCEEDED"
    (plan,) = example.launch_plans
    expected = workflow(example, "experiment")(**{**plan_values(plan), "seed": 3})
    assert printed["outputs"] == {"o0": dataclasses.asdict(expected)}
