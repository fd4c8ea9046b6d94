"""The registration plan of a project using the workflow language: every entity after what
it references, versioned ids filled in at any depth, and versions that follow changes."""

from __future__ import annotations

from pathlib import Path

from sdk_support import edit

from graven.loader import load_project
from graven.serialize import registration_plan
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.workflow_pb2 import Node, WorkflowSpec
from graven.versioning import Spec

TASKS = """
from graven import WorkflowError, task


@task
def double(x: int) -> int:
    return 2 * x


@task
def shrink(x: int) -> int:
    return x - 1


@task
def report(x: int, error: WorkflowError) -> None:
    print(error.message, x)
"""

SUB = """
from graven import LaunchPlan, workflow

from lang.tasks import double, shrink


@workflow
def refine(x: int) -> int:
    return shrink(x=double(x=x))


@workflow
def child(x: int, k: int = 1) -> int:
    return double(x=refine(x=x))


child_plan = LaunchPlan("lang.child-plan", child, fixed_inputs={"k": 2})
"""

MAIN = """
import graven
from graven import workflow

from lang.sub import child_plan, refine
from lang.tasks import double, report, shrink


@workflow(on_failure=report)
def main(x: int, xs: list[int]) -> int:
    mapped = graven.map(shrink)(x=xs)
    picked = (
        graven.conditional("big")
        .if_(x > 10)
        .then(refine(x=x))
        .else_()
        .then(double(x=x))
    )
    result = child_plan(x=picked)
    mapped >> result
    return result


@workflow
def alone(x: int) -> int:
    return double(x=x)
"""


def write_project(root: Path) -> Path:
    package = root / "lang"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tasks.py").write_text(TASKS)
    (package / "sub.py").write_text(SUB)
    (package / "main.py").write_text(MAIN)
    return package / "main.py"


def plan_of(main: Path) -> list[tuple[Identifier, Spec]]:
    return registration_plan(load_project(main), "proj", "dev", "sha256:" + "0" * 64)


def referenced(node: Node) -> list[Identifier]:
    """Every id a node names, nested case nodes included."""
    target = node.WhichOneof("target")
    if target == "task_node":
        return [node.task_node.task_id]
    if target == "array_node":
        return [node.array_node.task_id]
    if target == "workflow_node":
        ref = node.workflow_node
        return [getattr(ref, ref.WhichOneof("reference") or "sub_workflow_id")]
    found: list[Identifier] = []
    if target == "branch_node":
        for case in node.branch_node.cases:
            found += referenced(case.then_node)
        if node.branch_node.HasField("else_node"):
            found += referenced(node.branch_node.else_node)
    return found


def references(spec: Spec) -> list[Identifier]:
    if isinstance(spec, LaunchPlanSpec):
        return [spec.workflow_id]
    if isinstance(spec, WorkflowSpec):
        template = spec.template
        nodes = [*template.nodes]
        if template.HasField("failure_node"):
            nodes.append(template.failure_node)
        return [i for n in nodes for i in referenced(n)]
    return []


def test_every_entity_comes_after_what_it_references(tmp_path: Path) -> None:
    plan = plan_of(write_project(tmp_path))
    names = [(i.resource_type, i.name) for i, _ in plan]
    # Loading main.py alone brings in the subworkflows and the launch plan it uses.
    assert sorted(names) == sorted(
        [
            (RESOURCE_TYPE_TASK, "lang.tasks.double"),
            (RESOURCE_TYPE_TASK, "lang.tasks.report"),
            (RESOURCE_TYPE_TASK, "lang.tasks.shrink"),
            (RESOURCE_TYPE_WORKFLOW, "lang.main.alone"),
            (RESOURCE_TYPE_WORKFLOW, "lang.main.main"),
            (RESOURCE_TYPE_WORKFLOW, "lang.sub.child"),
            (RESOURCE_TYPE_WORKFLOW, "lang.sub.refine"),
            (RESOURCE_TYPE_LAUNCH_PLAN, "lang.child-plan"),
        ]
    )
    seen: dict[tuple[int, str], Identifier] = {}
    for identifier, spec in plan:
        for ref in references(spec):
            # Each reference is a full versioned id of an entity registered earlier.
            assert seen[(ref.resource_type, ref.name)] == ref, (identifier.name, ref.name)
        seen[(identifier.resource_type, identifier.name)] = identifier
    main = dict((i.name, s) for i, s in plan)["lang.main.main"]
    assert isinstance(main, WorkflowSpec)
    kinds = [n.WhichOneof("target") for n in main.template.nodes]
    assert kinds == ["array_node", "branch_node", "workflow_node"]
    assert main.template.failure_node.task_node.task_id.version


def versions(main: Path) -> dict[str, str]:
    return {i.name: i.version for i, _ in plan_of(main)}


def test_changing_a_subworkflows_task_reversions_its_users(tmp_path: Path) -> None:
    main = write_project(tmp_path)
    before = versions(main)
    assert versions(main) == before
    edit(tmp_path / "lang/tasks.py", "return x - 1", "return x - 100")
    after = versions(main)
    changed = {name for name in before if before[name] != after[name]}
    # shrink is used by refine (a subworkflow of main and of child) and by main's map.
    assert changed == {
        "lang.tasks.shrink",
        "lang.sub.refine",
        "lang.sub.child",
        "lang.child-plan",
        "lang.main.main",
    }


def test_changing_a_launch_plan_reversions_the_workflow_using_it(tmp_path: Path) -> None:
    main = write_project(tmp_path)
    before = versions(main)
    edit(tmp_path / "lang/sub.py", 'fixed_inputs={"k": 2}', 'fixed_inputs={"k": 30}')
    after = versions(main)
    assert {name for name in before if before[name] != after[name]} == {
        "lang.child-plan",
        "lang.main.main",
    }


def test_an_explicit_version_is_used_everywhere(tmp_path: Path) -> None:
    plan = registration_plan(
        load_project(write_project(tmp_path)), "proj", "dev", "sha256:" + "0" * 64, "v7"
    )
    assert {i.version for i, _ in plan} == {"v7"}
    assert all(ref.version == "v7" for _, spec in plan for ref in references(spec))
