"""Default versions on a copy of examples/: they change exactly when a task's code closure does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sdk_support import copy_example, edit

from graven.loader import load_project
from graven.serialize import registration_plan
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK, RESOURCE_TYPE_WORKFLOW
from graven.v1.task_pb2 import TaskSpec
from graven.v1.workflow_pb2 import WorkflowSpec
from graven.versioning import version_digest

BUNDLE = "sha256:" + "b" * 64
TASKS = "wordcount.tasks"
WORKFLOWS = "wordcount.workflows"
EVERYTHING = {
    f"{TASKS}.split_words",
    f"{TASKS}.count_words",
    f"{TASKS}.merge_counts",
    f"{TASKS}.summarize",
    f"{TASKS}.render_report",
    f"{WORKFLOWS}.wordcount",
    f"{WORKFLOWS}.compare",
    "wordcount.daily",
}


def versions(root: Path, bundle_digest: str = BUNDLE, version: str | None = None) -> dict[str, str]:
    plan = registration_plan(load_project(root), "demo", "development", bundle_digest, version)
    return {entity_id.name: entity_id.version for entity_id, _ in plan}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    assert before.keys() == after.keys()
    return {name for name in before if before[name] != after[name]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def test_the_plan_lists_every_entity_in_dependency_order(project: Path) -> None:
    plan = registration_plan(load_project(project), "demo", "development", BUNDLE)
    kinds = [entity_id.resource_type for entity_id, _ in plan]
    assert kinds == sorted(kinds)  # tasks, then workflows, then launch plans
    assert {entity_id.name for entity_id, _ in plan} == EVERYTHING
    task_versions = {i.name: i.version for i, _ in plan if i.resource_type == RESOURCE_TYPE_TASK}
    for entity_id, spec in plan:
        assert (entity_id.project, entity_id.domain) == ("demo", "development")
        if isinstance(spec, TaskSpec):
            assert spec.template.code.bundle_digest == BUNDLE
            assert spec.template.code.module == TASKS
        if isinstance(spec, WorkflowSpec):
            for node in spec.template.nodes:
                task_id = node.task_node.task_id
                assert (task_id.project, task_id.domain) == ("demo", "development")
                assert task_id.version == task_versions[task_id.name]
    plan_spec = plan[-1][1]
    workflow_ids = {i.name: i for i, _ in plan if i.resource_type == RESOURCE_TYPE_WORKFLOW}
    assert plan_spec.workflow_id == workflow_ids[f"{WORKFLOWS}.wordcount"]


def test_unchanged_code_keeps_its_versions(project: Path) -> None:
    assert versions(project) == versions(project)


def test_versions_do_not_depend_on_where_the_project_lives(project: Path, tmp_path: Path) -> None:
    elsewhere = copy_example(tmp_path / "elsewhere")
    assert versions(elsewhere) == versions(project)


def test_the_bundle_digest_does_not_decide_versions(project: Path) -> None:
    assert versions(project, "sha256:" + "c" * 64) == versions(project)


def test_an_explicit_version_applies_to_every_entity(project: Path) -> None:
    assert set(versions(project, version="git-1a2b3c").values()) == {"git-1a2b3c"}


def test_editing_one_task_changes_it_and_the_workflows_using_it(project: Path) -> None:
    before = versions(project)
    edit(project / "wordcount/tasks.py", "counts.get(word, 0) + 1", "counts.get(word, 0) + 10")
    assert changed(before, versions(project)) == {
        f"{TASKS}.count_words",
        f"{WORKFLOWS}.wordcount",
        f"{WORKFLOWS}.compare",
        "wordcount.daily",
    }


def test_editing_a_task_used_by_one_workflow_leaves_the_other(project: Path) -> None:
    before = versions(project)
    edit(
        project / "wordcount/tasks.py",
        "merged: dict[str, int] = {}",
        "merged: dict[str, int] = dict()",
    )
    assert changed(before, versions(project)) == {f"{TASKS}.merge_counts", f"{WORKFLOWS}.compare"}


def test_editing_a_helper_module_changes_the_tasks_importing_it(project: Path) -> None:
    before = versions(project)
    edit(project / "wordcount/text.py", 'word.strip("\'").lower()', 'word.strip("\'-").lower()')
    assert changed(before, versions(project)) == {
        f"{TASKS}.split_words",
        f"{WORKFLOWS}.wordcount",
        f"{WORKFLOWS}.compare",
        "wordcount.daily",
    }


def test_editing_a_constant_changes_the_tasks_using_it(project: Path) -> None:
    before = versions(project)
    edit(project / "wordcount/tasks.py", "MIN_WORD_LENGTH = 2", "MIN_WORD_LENGTH = 3  # longer")
    assert f"{TASKS}.count_words" in changed(before, versions(project))
    assert not changed(before, versions(project)) & {f"{TASKS}.split_words", f"{TASKS}.summarize"}


def test_editing_a_class_changes_the_tasks_using_it(project: Path) -> None:
    before = versions(project)
    edit(project / "wordcount/tasks.py", 'MARKDOWN = "markdown"', 'MARKDOWN = "md"')
    tasks_changed = {n for n in changed(before, versions(project)) if n.startswith(TASKS)}
    assert tasks_changed == {f"{TASKS}.render_report"}


def test_editing_code_no_task_uses_changes_nothing(project: Path) -> None:
    before = versions(project)
    edit(
        project / "wordcount/tasks.py",
        '"""The steps of a word count',
        '"""The steps of counting words',
    )
    (project / "wordcount" / "notes.py").write_text("UNUSED = 1\n")
    assert changed(before, versions(project)) == set()


def test_version_digest_ignores_only_the_bundle(project: Path) -> None:
    plan = registration_plan(load_project(project), "demo", "development", BUNDLE)
    spec = next(s for _, s in plan if isinstance(s, TaskSpec))
    other = TaskSpec()
    other.CopyFrom(spec)
    other.template.code.bundle_digest = "sha256:" + "d" * 64
    assert version_digest(other) == version_digest(spec)
    other.template.metadata.retries += 1
    assert version_digest(other) != version_digest(spec)


CONSTANT_SET_PROJECT = """
from graven import task

TAGS = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}


@task
def tagged(word: str) -> bool:
    return word in TAGS
"""


def test_code_digests_are_stable_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    (tmp_path / "tagging.py").write_text(textwrap.dedent(CONSTANT_SET_PROJECT))
    script = (
        "import sys; from pathlib import Path; from graven.loader import load_project; "
        "print(load_project(Path(sys.argv[1])).tasks[0].code_digest)"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1
    assert next(iter(digests)).startswith("sha256:")
