"""The CLI's answers to input that used to end in a traceback or a silent wrong value: each
is one `error:` line and a non-zero exit, through the real `graven` process."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

import pytest
from test_cli_registry import assert_one_line_error, graven

from graven.control_plane.app import ControlPlane

FLOWS = """
from typing import Annotated

from graven import task, workflow


@task
def scale(f: float, xs: list[list[int]], d: dict[str, float]) -> float:
    return f * len(xs) + sum(d.values())


@workflow
def scaled(f: float, xs: list[list[int]], d: dict[str, float]) -> float:
    return scale(f=f, xs=xs, d=d)


@task
def tagged(x: Annotated[int, {"unit": "m"}], ys: list[Annotated[str, {"k": [1]}]]) -> int:
    return x + len(ys)
"""


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    path = tmp_path / "flows.py"
    path.write_text(textwrap.dedent(FLOWS))
    return path


@pytest.fixture
def project() -> str:
    return f"errs-{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize(
    ("inputs", "fragments"),
    [
        # Python reads 1e400 as inf: refused, not run with a value nobody typed.
        ({"f": "1e400"}, ("input 'f'", "1e400 is too large for a float")),
        ({"d": '{"a": -1e999}'}, ("input 'd'", "-1e999 is too large for a float")),
        # json's decoder recurses per level and hits Python's stack limit.
        ({"xs": "[" * 5000 + "]" * 5000}, ("input 'xs'", "nested too deeply")),
        # Markup-looking types are printed as they are, not eaten by rich.
        ({"d": "[1]"}, ("expected dict[str, float]", "not an object")),
    ],
)
def test_bad_inputs_are_one_line(
    control_plane: ControlPlane,
    flows: Path,
    project: str,
    inputs: dict[str, str],
    fragments: tuple[str, ...],
) -> None:
    given = {"f": "1.5", "xs": "[[1]]", "d": "{}"} | inputs
    args = ["run", f"{flows}:scaled", "-p", project, "--no-wait", "--"]
    for name, value in given.items():
        args += [f"--{name}", value]
    assert_one_line_error(graven(*args, endpoint=control_plane.grpc_address), *fragments)


def test_an_infinity_given_by_name_is_still_accepted(
    control_plane: ControlPlane, flows: Path, project: str
) -> None:
    args = ["run", f"{flows}:scaled", "-p", project, "--no-wait", "--json", "--"]
    args += ["--f", "-inf", "--xs", "[[1]]", "--d", '{"a": Infinity}']
    result = graven(*args, endpoint=control_plane.grpc_address)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"]["project"] == project


@pytest.mark.parametrize("age", ["99999999999d", "999999999d"])
def test_an_age_before_year_one_is_one_line(control_plane: ControlPlane, age: str) -> None:
    result = graven("cache", "evict", "--older-than", age, endpoint=control_plane.grpc_address)
    assert_one_line_error(result, f"--older-than '{age}'", "before the year 1")


def test_versions_of_an_unknown_task_fails(
    control_plane: ControlPlane, flows: Path, project: str
) -> None:
    at = control_plane.grpc_address
    for extra in ((), ("--json",)):
        result = graven("versions", "tasks", "flows.nosuch", "-p", project, *extra, endpoint=at)
        assert_one_line_error(result, f"no task named 'flows.nosuch' in {project}/development")
        assert result.stdout == ""


def test_annotated_with_unhashable_metadata_registers(
    control_plane: ControlPlane, flows: Path, project: str
) -> None:
    at = control_plane.grpc_address
    registered = graven("register", str(flows), "-p", project, "--json", endpoint=at)
    assert registered.returncode == 0, registered.stderr
    names = {e["id"]["name"] for e in json.loads(registered.stdout)["registered"]}
    assert "flows.tagged" in names
    shown = graven("versions", "tasks", "flows.tagged", "-p", project, "--json", endpoint=at)
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)) == 1
