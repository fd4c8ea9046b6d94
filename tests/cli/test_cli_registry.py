"""The `graven` command as a user runs it: a real process against a real control plane."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from auth_support import token_env

from graven.control_plane.app import ControlPlane

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wordcount"


def graven(*args: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graven.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **token_env(endpoint), "COLUMNS": "200"},
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "wordcount")
    return tmp_path / "wordcount"


@pytest.fixture
def project_name() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}"


def registered(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, bool]]:
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)["registered"]
    return {e["id"]["name"]: (e["id"]["version"], e["created"]) for e in entries}


def test_registering_twice_gives_the_same_versions(
    control_plane: ControlPlane, project_copy: Path, project_name: str
) -> None:
    at = control_plane.grpc_address
    first = registered(
        graven("register", str(project_copy), "-p", project_name, "--json", endpoint=at)
    )
    second = registered(
        graven("register", str(project_copy), "-p", project_name, "--json", endpoint=at)
    )
    assert first.keys() == second.keys()
    assert "wordcount.workflows.wordcount" in first
    assert all(created for _, created in first.values())
    assert not any(created for _, created in second.values())
    assert {n: v for n, (v, _) in first.items()} == {n: v for n, (v, _) in second.items()}


def test_editing_a_helper_module_reversions_its_users(
    control_plane: ControlPlane, project_copy: Path, project_name: str
) -> None:
    at = control_plane.grpc_address
    before = registered(
        graven("register", str(project_copy), "-p", project_name, "--json", endpoint=at)
    )
    helper = project_copy / "text.py"
    helper.write_text(helper.read_text() + "\n\nEXTRA_HELPER_CONSTANT = 1\n")
    after = registered(
        graven("register", str(project_copy), "-p", project_name, "--json", endpoint=at)
    )
    changed = {n for n in before if before[n][0] != after[n][0]}
    # Every task importing the helper module changes, and so does every workflow using one.
    assert changed, "a helper module edit must re-version the tasks that import it"
    assert {n for n, (_, created) in after.items() if created} == changed


def test_the_same_explicit_version_with_other_content_fails(
    control_plane: ControlPlane, project_copy: Path, project_name: str
) -> None:
    at = control_plane.grpc_address
    ok = graven("register", str(project_copy), "-p", project_name, "--version", "v1", endpoint=at)
    assert ok.returncode == 0, ok.stderr
    tasks = project_copy / "tasks.py"
    tasks.write_text(tasks.read_text().replace("return ", "return  ", 1))
    result = graven(
        "register", str(project_copy), "-p", project_name, "--version", "v1", endpoint=at
    )
    assert_one_line_error(result, "ALREADY_EXISTS", "code_digest")


def test_reading_commands_answer_in_json(
    control_plane: ControlPlane, project_copy: Path, project_name: str
) -> None:
    at = control_plane.grpc_address
    versions = registered(
        graven("register", str(project_copy), "-p", project_name, "--json", endpoint=at)
    )
    workflow = "wordcount.workflows.wordcount"

    names = graven("get", "workflows", "-p", project_name, "--json", endpoint=at)
    assert names.returncode == 0, names.stderr
    listed = {n["name"]: n["latest_version"] for n in json.loads(names.stdout)}
    assert listed[workflow] == versions[workflow][0]

    shown = graven("get", "workflow", workflow, "-p", project_name, "--json", endpoint=at)
    assert shown.returncode == 0, shown.stderr
    entity = json.loads(shown.stdout)
    assert entity["id"]["version"] == versions[workflow][0]
    task_ids = {t["id"]["name"] for t in entity["closure"]["tasks"]}
    assert "wordcount.tasks.count_words" in task_ids

    history = graven("versions", "wf", workflow, "-p", project_name, "--json", endpoint=at)
    assert [v["id"]["version"] for v in json.loads(history.stdout)] == [versions[workflow][0]]


def test_diff_names_the_changed_field(
    control_plane: ControlPlane, project_copy: Path, project_name: str
) -> None:
    at = control_plane.grpc_address
    task = "wordcount.tasks.count_words"
    old = registered(
        graven("register", str(project_copy), "-p", project_name, "--json", endpoint=at)
    )
    tasks = project_copy / "tasks.py"
    tasks.write_text(
        tasks.read_text().replace("counts.get(word, 0) + 1", "counts.get(word, 0) + 2")
    )
    new = registered(
        graven("register", str(project_copy), "-p", project_name, "--json", endpoint=at)
    )
    assert old[task][0] != new[task][0]
    result = graven(
        "diff",
        "tasks",
        task,
        old[task][0],
        new[task][0],
        "-p",
        project_name,
        "--json",
        endpoint=at,
    )
    assert result.returncode == 0, result.stderr
    paths = {d["path"] for d in json.loads(result.stdout)}
    assert "template.code.code_digest" in paths


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("get", "gadgets"), ("unknown kind 'gadgets'",)),
        (("register", "/no/such/project"), ("/no/such/project",)),
        (("get", "tasks", "no.such.task"), ("NOT_FOUND",)),
        (("versions", "tasks", "Bad Name!"), ("INVALID_ARGUMENT", "name")),
        (("diff", "tasks", "no.such.task", "a", "b"), ("NOT_FOUND",)),
    ],
)
def test_user_errors_are_one_line(
    control_plane: ControlPlane, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    assert_one_line_error(graven(*args, endpoint=control_plane.grpc_address), *fragments)


def test_a_project_that_does_not_import_is_one_line(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    broken = tmp_path / "broken_flows.py"
    broken.write_text("from graven import task\n\nraise RuntimeError('boom at import')\n")
    result = graven("register", str(broken), endpoint=control_plane.grpc_address)
    assert_one_line_error(result, "broken_flows", "boom at import")


def test_an_unreachable_control_plane_is_one_line(tmp_path: Path) -> None:
    result = graven("get", "tasks", endpoint="127.0.0.1:9")
    assert_one_line_error(result, "cannot reach the control plane")
