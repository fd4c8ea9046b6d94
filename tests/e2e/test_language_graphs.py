"""The workflow language's graph constructs through the whole stack, on the embedded pair
(SQLite + a folder) and on PostgreSQL + MinIO: a branch on a task output, an inlined
subworkflow with attribute paths, a tuple output and ``>>``, and ``on_failure``. Each run's
outputs equal the same workflow run locally as plain Python."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_support import execution_ref, finish, graven, graven_json
from language_project import (
    MODULE,
    children,
    local,
    nodes_by_id,
    phase_names,
    ran,
    runs,
    table_rows,
    write_project,
)
from stack_support import (  # noqa: F401  (fixtures)
    Stack,
    agent_fixture,
    database_fixture,
    endpoint_fixture,
    stack_fixture,
    store_fixture,
)

from graven.remote import Remote
from graven.v1 import execution_pb2 as ex


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("code"))


def folders(tmp_path: Path) -> tuple[Path, Path]:
    """Where the remote run and the local run record their side effects, apart."""
    remote, here = tmp_path / "remote", tmp_path / "local"
    remote.mkdir()
    here.mkdir()
    return remote, here


# Node ids of `route`: n0 measure, n1 the branch, n2 shout, n3 whisper, n4 keep, n5 frame.
CASES = {"n1/n2": "shout", "n1/n3": "whisper", "n1/n4": "keep"}


def test_a_branch_on_a_task_output_takes_its_case_and_skips_the_others(
    stack: Stack, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    folder, here = folders(tmp_path)
    flows = local(package)
    printed = graven_json(
        stack.endpoint,
        *("run", f"{package}:route", "-p", project),
        *("--folder", str(folder), "--text", "hey"),
    )
    assert (
        printed["outputs"] == {"o0": flows.route(folder=str(here), text="hey")} == {"o0": "[hey]"}
    )
    execution_id, name = execution_ref(printed)
    nodes = nodes_by_id(remote, execution_id)
    assert phase_names(nodes) == {
        "n0": "SUCCEEDED",
        "n1": "SUCCEEDED",
        "n1/n2": "SKIPPED",
        "n1/n3": "SUCCEEDED",
        "n1/n4": "SKIPPED",
        "n5": "SUCCEEDED",
    }
    assert {n.parent_node_id for node_id, n in nodes.items() if node_id in CASES} == {"n1"}
    assert {n.id.node_id for n in children(remote, execution_id, "n1")} == set(CASES)
    assert {n.id.node_id for n in children(remote, execution_id, "")} == {"n0", "n1", "n5"}
    # Only the case taken ran a body.
    assert ran(folder, "measure", "shout", "whisper", "keep") == {
        "measure": 1,
        "shout": 0,
        "whisper": 1,
        "keep": 0,
    }

    shown = graven(stack.endpoint, "executions", "get", name, "-p", project)
    assert shown.returncode == 0, shown.stderr
    rows = table_rows(shown.stdout)
    assert "branch" in rows["n1"]
    assert "took n3" in rows["n1"]
    assert "SKIPPED" in rows["n1/n2"]
    assert "SKIPPED" in rows["n1/n4"]
    assert "SUCCEEDED" in rows["n1/n3"]
    # Nested under the branch: indented one level in the tree.
    assert rows["n1/n3"].split("│")[1].startswith("   n1/n3")

    # The other two cases, launched from Python.
    remote.register(package, project=project)
    texts = {"a much longer text": "n1/n2", "medium": "n1/n4"}
    launched = {
        text: remote.launch(
            f"{MODULE}.route", {"folder": str(folder), "text": text}, project=project
        ).id
        for text in texts
    }
    for text, taken in texts.items():
        final = finish(remote, launched[text])
        assert final.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED, final.closure.error
        assert remote.outputs(launched[text]) == {"o0": flows.route(folder=str(here), text=text)}
        phases = phase_names(nodes_by_id(remote, launched[text]))
        assert {case: phases[case] for case in CASES} == {
            case: "SUCCEEDED" if case == taken else "SKIPPED" for case in CASES
        }
    assert ran(folder, "shout", "whisper", "keep") == {"shout": 1, "whisper": 1, "keep": 1}


def test_a_subworkflow_is_inlined_with_attribute_paths_and_ordering(
    stack: Stack, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    folder, here = folders(tmp_path)
    xs = [7, 2, 9, 4, 6]
    expected = local(package).analyse(folder=str(here), xs=xs)._asdict()
    printed = graven_json(
        stack.endpoint,
        *("run", f"{package}:analyse", "-p", project),
        *("--folder", str(folder), "--xs", json.dumps(xs)),
    )
    assert (
        printed["outputs"]
        == expected
        == {
            "count": 5,
            "smallest": 2,
            "evens": 3,
            "spread": 11,
            "marks": "first+second",
        }
    )
    execution_id, _ = execution_ref(printed)
    nodes = nodes_by_id(remote, execution_id)
    # The subworkflow's own nodes, nested under its node with their template ids.
    assert {"n0", "n0/n0", "n0/n1"} <= set(nodes)
    assert nodes["n0/n0"].parent_node_id == nodes["n0/n1"].parent_node_id == "n0"
    assert nodes["n0/n1"].task_id.name == f"{MODULE}.describe"
    assert {n.id.node_id for n in children(remote, execution_id, "n0")} == {"n0/n0", "n0/n1"}
    assert set(phase_names(nodes).values()) == {"SUCCEEDED"}

    # `first >> second`: the second mark started only after the first had finished, though
    # no data flows between them and the first sleeps for a second.
    first, second = nodes["n2"], nodes["n3"]
    assert first.finished_at.ToDatetime() <= second.started_at.ToDatetime()
    assert first.attempts[-1].finished_at.ToDatetime() <= second.attempts[0].started_at.ToDatetime()
    assert runs(folder, "marks") == ["first", "second"]


def test_on_failure_runs_the_cleanup_with_the_error(
    stack: Stack, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    folder, here = folders(tmp_path)
    with pytest.raises(ValueError, match="cannot take 8"):
        local(package).fragile(folder=str(here), x=4)
    locally = json.loads((here / "cleanup.json").read_text())

    printed = graven_json(
        stack.endpoint,
        *("run", f"{package}:fragile", "-p", project, "--folder", str(folder), "--x", "4"),
        exit_code=1,
    )
    execution = printed["execution"]
    assert execution["closure"]["phase"] == "EXECUTION_PHASE_FAILED"
    assert execution["closure"]["error"]["message"] == "cannot take 8"
    received = json.loads((folder / "cleanup.json").read_text())
    assert received["node_id"] == locally["node_id"] == "n1"
    assert received["message"] == locally["message"] == "cannot take 8"
    assert received["type"] == locally["type"] == "ValueError"
    assert received["kind"] == locally["kind"] == "USER"
    assert 'raise ValueError(f"cannot take {x}")' in received["traceback"]

    execution_id, _ = execution_ref(printed)
    phases = phase_names(nodes_by_id(remote, execution_id))
    assert phases == {"n0": "SUCCEEDED", "n1": "FAILED", "on-failure": "SUCCEEDED"}
