"""The shipped example runs end to end, from the CLI and from Remote, and computes on the
cluster exactly what its workflows compute as plain Python."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from e2e_support import REPO, execution_ref, finish, graven_json

from graven.launch_plan import LaunchPlan
from graven.literals import to_python
from graven.loader import Project, load_project
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

EXAMPLE = REPO / "examples" / "wordcount"
WORDCOUNT = "wordcount.workflows.wordcount"
CORPUS = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs off. "
    "Quick, quick: a fox is quick and a dog is lazy!"
)
OTHER = "A lazy afternoon: the dog naps, the cat naps, and nobody jumps."


@pytest.fixture(scope="module")
def example() -> Project:
    """The example imported here, so its workflows can run as plain Python."""
    return load_project(EXAMPLE)


def run_locally(project: Project, workflow: str, **inputs: Any) -> Any:
    (found,) = [w for w in project.workflows if w.name == workflow]
    return found(**inputs)


def plan_values(plan: LaunchPlan) -> dict[str, object]:
    """The inputs a launch plan supplies, as the Python values its workflow takes."""
    types = {p.name: p.python_type for p in plan.workflow.interface.inputs}
    literals = {**plan.default_inputs, **plan.fixed_inputs}
    return {name: to_python(value, types[name]) for name, value in literals.items()}


def as_json(report: Any) -> dict[str, object]:
    """The outputs of a Report as the control plane hands them out."""
    return {"stats": dataclasses.asdict(report.stats), "text": report.text}


def test_wordcount_from_the_cli(endpoint: str, project: str, example: Project) -> None:
    printed = graven_json(
        endpoint,
        *("run", "examples/wordcount:wordcount", "-p", project),
        *("--corpus", CORPUS, "--top", "2"),
    )
    execution = printed["execution"]
    assert execution["closure"]["phase"] == "EXECUTION_PHASE_SUCCEEDED"
    expected = run_locally(example, WORDCOUNT, corpus=CORPUS, top=2)
    assert printed["outputs"] == as_json(expected)
    assert expected.stats.top_words == ["quick", "dog"]  # the sample really exercises ties

    _, name = execution_ref(printed)
    shown = graven_json(endpoint, "executions", "get", name)
    assert shown["outputs"] == printed["outputs"]
    nodes = shown["node_executions"]
    assert {n["phase"] for n in nodes} == {"NODE_PHASE_SUCCEEDED"}
    assert len(nodes) == 4


def test_wordcount_workflows_and_launch_plan_from_remote(
    remote: Remote, project: str, example: Project
) -> None:
    remote.register(EXAMPLE, project=project)
    single = remote.launch(WORDCOUNT, {"corpus": CORPUS, "top": 2}, project=project)
    both = remote.launch(
        "wordcount.workflows.compare", {"left": CORPUS, "right": OTHER}, project=project
    )
    (plan,) = example.launch_plans
    daily = remote.launch(plan.name, {"corpus": OTHER}, project=project, launch_plan=True)

    for launched in (single, both, daily):
        assert finish(remote, launched.id).closure.phase == ex.EXECUTION_PHASE_SUCCEEDED
    assert remote.outputs(single.id) == as_json(
        run_locally(example, WORDCOUNT, corpus=CORPUS, top=2)
    )
    compared = run_locally(example, "wordcount.workflows.compare", left=CORPUS, right=OTHER)
    assert remote.outputs(both.id) == {"o0": dataclasses.asdict(compared)}
    planned = run_locally(example, WORDCOUNT, corpus=OTHER, **plan_values(plan))
    assert remote.outputs(daily.id) == as_json(planned)
    assert "Daily words" in planned.text

    listed = {e.id.name for e in remote.list_executions(project, "development")}
    assert listed == {single.id.name, both.id.name, daily.id.name}
