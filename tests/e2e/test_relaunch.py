"""Relaunching a past execution after its workflow moved on: the old code runs again, or the
latest on request, and a version whose inputs no longer fit is refused."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from e2e_support import execution_ref, graven, graven_json, one_line_error, write_package

from graven.remote import Remote

GREETING = """
    from graven import task, workflow


    @task
    def greet(name: {name_type}) -> str:
        return f"hello {{name}}, from {release}"


    @workflow
    def hello(name: {name_type}) -> str:
        return greet(name=name)
"""


def release(folder: Path, release: str, name_type: str = "str") -> Path:
    """The `greeting` package at ``release``: same names, other code."""
    source = GREETING.format(release=release, name_type=name_type)
    return write_package(folder, "greeting", {"flows": source})


def test_relaunch_runs_the_old_code_and_latest_runs_the_new(
    endpoint: str, remote: Remote, project: str, tmp_path: Path
) -> None:
    code = tmp_path / "code"
    package = release(code, "release one")
    first = graven_json(endpoint, "run", f"{package}:hello", "-p", project, "--name", "ada")
    assert first["outputs"] == {"o0": "hello ada, from release one"}
    source_id, name = execution_ref(first)
    old_version = first["execution"]["spec"]["workflow_id"]["version"]

    # Newer versions: one whose input became an int, then the latest, with new code.
    release(code, "release two", name_type="int")
    typed = graven(endpoint, "register", str(package), "-p", project, "--version", "typed")
    assert typed.returncode == 0, typed.stderr
    release(code, "release three")
    latest = graven(endpoint, "register", str(package), "-p", project)
    assert latest.returncode == 0, latest.stderr

    again = graven_json(endpoint, "relaunch", name, "--wait")
    assert again["outputs"] == {"o0": "hello ada, from release one"}
    spec = again["execution"]["spec"]
    assert spec["workflow_id"]["version"] == old_version
    assert spec["mode"] == "EXECUTION_MODE_RELAUNCH"
    assert spec["source_execution_id"]["name"] == source_id.name

    newest = graven_json(endpoint, "relaunch", name, "--latest", "--wait")
    assert newest["outputs"] == {"o0": "hello ada, from release three"}
    assert newest["execution"]["spec"]["workflow_id"]["version"] not in (old_version, "typed")

    refused = one_line_error(graven(endpoint, "relaunch", name, "--version", "typed"))
    assert refused.startswith("error: INVALID_ARGUMENT: ")
    assert "inputs.name" in refused
    assert "typed" in refused

    with pytest.raises(grpc.RpcError) as raised:
        remote.relaunch(source_id, version="typed")
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "inputs.name" in (raised.value.details() or "")
    # Nothing was launched by the refused relaunches.
    assert len(list(remote.list_executions(project, "development"))) == 3
