"""Caching as a user meets it, on both stores: a second run computes nothing, an edit
recomputes exactly what it affects, the same content from another path still hits, a lost
artifact is recomputed, and the cache can be explained, listed, overwritten and evicted."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from cached_project import (
    TASKS,
    WORKFLOW,
    by_task,
    cache_statuses,
    ran,
    task_name,
    write_project,
)
from e2e_support import (
    counted,
    execution_ref,
    finish,
    graven,
    graven_json,
    one_line_error,
    write_package,
)
from stack_support import (  # noqa: F401  (fixtures)
    Stack,
    agent_fixture,
    database_fixture,
    endpoint_fixture,
    stack_fixture,
    store_fixture,
)

from graven.files import Directory, File
from graven.remote import Remote
from graven.store.layout import artifact_key
from graven.v1 import execution_pb2 as ex

ALL_HIT = dict.fromkeys(TASKS, "HIT")
ONCE = dict.fromkeys(TASKS, 1)


def numbers(folder: Path, text: str = "1 2 3 4") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "numbers.txt"
    path.write_text(text)
    return path


def run(stack: Stack, package: Path, project: str, data: Path, *extra: str) -> dict[str, Any]:
    """`graven run` of the pipeline, followed to its end; it must succeed."""
    args = ("run", f"{package}:pipeline", "-p", project, "--data", str(data), *extra, "--json")
    result = graven(stack.endpoint, *args)
    assert result.returncode == 0, result.stderr + result.stdout[-2000:]
    printed: dict[str, Any] = json.loads(result.stdout)
    return printed


def test_a_second_run_hits_every_node_and_runs_no_task(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    package = write_project(tmp_path / "code", runs)
    data = numbers(tmp_path / "a")
    first = run(stack, package, project, data)
    assert first["outputs"] == {"total": 20, "label": "4 values"}
    first_id, first_name = execution_ref(first)
    assert cache_statuses(remote, first_id) == dict.fromkeys(TASKS, "POPULATED")
    assert ran(runs) == ONCE

    again = graven_json(stack.endpoint, "relaunch", first_name, "--wait")
    assert again["outputs"] == first["outputs"]
    again_id, again_name = execution_ref(again)
    nodes = by_task(remote, again_id)
    assert cache_statuses(remote, again_id) == ALL_HIT
    assert ran(runs) == ONCE, "a cache hit ran a task body"
    for node in nodes.values():
        assert node.phase == ex.NODE_PHASE_SUCCEEDED
        assert node.source_execution_id == first_id
        assert not node.attempts, "a cache hit launched an attempt"

    # The same bytes at another path are the same input.
    copy = tmp_path / "elsewhere" / "copied.txt"
    copy.parent.mkdir()
    copy.write_bytes(data.read_bytes())
    moved = run(stack, package, project, copy)
    assert moved["outputs"] == first["outputs"]
    assert cache_statuses(remote, execution_ref(moved)[0]) == ALL_HIT
    assert ran(runs) == ONCE

    # Why: the node reused the first run's entry.
    load = nodes["load"].id.node_id
    explained = graven_json(stack.endpoint, "cache", "explain", again_name, load)
    assert explained["status"] == "CACHE_STATUS_HIT"
    assert explained["entry"]["source"]["execution_id"]["name"] == first_id.name
    assert explained["key"] == nodes["load"].cache_key
    shown = graven(stack.endpoint, "cache", "explain", again_name, load)
    assert shown.returncode == 0, shown.stderr
    assert "HIT" in shown.stdout
    assert first_id.name in shown.stdout

    # The workflow's executions table shows the hits too.
    table = graven(stack.endpoint, "executions", "get", again_name)
    assert table.returncode == 0, table.stderr
    assert table.stdout.count("hit") >= len(TASKS)


def test_editing_one_task_reruns_it_and_what_its_output_feeds(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    package = write_project(tmp_path / "code", runs, factor=2)
    data = numbers(tmp_path / "data")
    first = run(stack, package, project, data)
    _, first_name = execution_ref(first)

    write_project(tmp_path / "code", runs, factor=3)
    second = run(stack, package, project, data)
    assert second["outputs"] == {"total": 30, "label": "4 values"}
    second_id, second_name = execution_ref(second)
    assert cache_statuses(remote, second_id) == {
        "load": "HIT",
        "double": "POPULATED",
        "total": "POPULATED",
        "label": "HIT",
    }
    assert ran(runs) == {"load": 1, "double": 2, "total": 2, "label": 1}

    nodes = by_task(remote, second_id)
    double = graven_json(
        stack.endpoint, "cache", "explain", second_name, nodes["double"].id.node_id
    )
    assert double["changed"] == ["code_digest"]
    total = graven_json(stack.endpoint, "cache", "explain", second_name, nodes["total"].id.node_id)
    assert total["changed"] == ["inputs.values"]
    shown = graven(stack.endpoint, "cache", "explain", second_name, nodes["total"].id.node_id)
    assert shown.returncode == 0, shown.stderr
    assert "inputs.values" in shown.stdout

    diff = graven_json(stack.endpoint, "diff", "execution", first_name, second_name)
    reasons = {n["node_id"]: set(n.get("differences", [])) for n in diff["nodes"]}
    node_of = {name: n.id.node_id for name, n in nodes.items()}
    assert {"NODE_DIFFERENCE_CODE", "NODE_DIFFERENCE_TASK_VERSION"} <= reasons[node_of["double"]]
    assert "NODE_DIFFERENCE_INPUTS" in reasons[node_of["total"]]
    assert "NODE_DIFFERENCE_CODE" not in reasons[node_of["total"]]
    assert reasons[node_of["load"]] == reasons[node_of["label"]] == set()
    assert diff["a_workflow_id"]["version"] != diff["b_workflow_id"]["version"]
    readable = graven(stack.endpoint, "diff", "execution", first_name, second_name)
    assert readable.returncode == 0, readable.stderr
    assert "2 of 4 node(s) differ" in readable.stdout

    # The registry's own diff still compares two versions of a workflow.
    versions = [diff["a_workflow_id"]["version"], diff["b_workflow_id"]["version"]]
    spec_diff = graven_json(stack.endpoint, "diff", "workflows", WORKFLOW, *versions, "-p", project)
    assert spec_diff, "two workflow versions with different tasks have no differences"


def test_editing_an_imported_helper_reruns_the_task_that_uses_it(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    package = write_project(tmp_path / "code", runs)
    data = numbers(tmp_path / "data")
    run(stack, package, project, data)

    write_project(tmp_path / "code", runs, noun="numbers")
    second = run(stack, package, project, data)
    assert second["outputs"] == {"total": 20, "label": "4 numbers"}
    second_id, second_name = execution_ref(second)
    assert cache_statuses(remote, second_id) == {**ALL_HIT, "label": "POPULATED"}
    assert ran(runs) == {**ONCE, "label": 2}
    label = by_task(remote, second_id)["label"].id.node_id
    explained = graven_json(stack.endpoint, "cache", "explain", second_name, label)
    assert explained["changed"] == ["code_digest"]


def test_a_deleted_artifact_turns_a_hit_into_a_run_that_repairs_it(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    package = write_project(tmp_path / "code", runs)
    data = numbers(tmp_path / "data")
    first_id, first_name = execution_ref(run(stack, package, project, data))
    (doubled,) = by_task(remote, first_id)["double"].output_hashes.values()
    key = artifact_key(doubled)
    stack.store.delete(key)
    assert key not in set(stack.store.keys())

    repaired = graven_json(stack.endpoint, "relaunch", first_name, "--wait")
    assert repaired["outputs"] == {"total": 20, "label": "4 values"}
    statuses = cache_statuses(remote, execution_ref(repaired)[0])
    assert statuses["double"] in ("POPULATED", "OVERWRITTEN")
    assert {t: s for t, s in statuses.items() if t != "double"} == {
        t: "HIT" for t in TASKS if t != "double"
    }
    assert ran(runs) == {**ONCE, "double": 2}
    restored = stack.store.read(key)
    assert "sha256:" + hashlib.sha256(restored).hexdigest() == doubled

    again = graven_json(stack.endpoint, "relaunch", first_name, "--wait")
    assert cache_statuses(remote, execution_ref(again)[0]) == ALL_HIT
    assert ran(runs) == {**ONCE, "double": 2}


def test_overwrite_cache_recomputes_and_later_runs_reuse_the_new_entries(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    package = write_project(tmp_path / "code", runs)
    data = numbers(tmp_path / "data")
    run(stack, package, project, data)
    forced = run(stack, package, project, data, "--overwrite-cache")
    forced_id, forced_name = execution_ref(forced)
    assert forced["execution"]["spec"]["overwrite_cache"] is True
    assert cache_statuses(remote, forced_id) == dict.fromkeys(TASKS, "OVERWRITTEN")
    assert ran(runs) == dict.fromkeys(TASKS, 2)

    relaunched = graven_json(stack.endpoint, "relaunch", forced_name, "--wait", "--overwrite-cache")
    assert cache_statuses(remote, execution_ref(relaunched)[0]) == dict.fromkeys(
        TASKS, "OVERWRITTEN"
    )
    assert ran(runs) == dict.fromkeys(TASKS, 3)

    after = run(stack, package, project, data)
    after_nodes = by_task(remote, execution_ref(after)[0])
    assert {n.cache_status for n in after_nodes.values()} == {ex.CACHE_STATUS_HIT}
    # The newest entry is reused: the last overwrite's.
    assert {n.source_execution_id.name for n in after_nodes.values()} == {
        execution_ref(relaunched)[0].name
    }


def test_cache_entries_are_listed_and_evicted(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    package = write_project(tmp_path / "code", runs)
    data = numbers(tmp_path / "data")
    first_id, first_name = execution_ref(run(stack, package, project, data))

    entries = graven_json(stack.endpoint, "cache", "list", "-p", project)
    assert sorted(e["task_id"]["name"].rsplit(".", 1)[1] for e in entries) == sorted(TASKS)
    assert {e["source"]["execution_id"]["name"] for e in entries} == {first_id.name}
    totals = graven_json(
        stack.endpoint, "cache", "list", "-p", project, "--task", task_name("total")
    )
    assert len(totals) == 1
    (total_output,) = by_task(remote, first_id)["total"].output_hashes.values()
    assert list(totals[0]["outputs"].values()) == [total_output]
    table = graven(stack.endpoint, "cache", "list", "-p", project)
    assert table.returncode == 0, table.stderr
    assert first_id.name in table.stdout

    refused = one_line_error(graven(stack.endpoint, "cache", "evict", "-p", project))
    assert "--task" in refused
    bad_age = one_line_error(
        graven(stack.endpoint, "cache", "evict", "-p", project, "--older-than", "soon")
    )
    assert "soon" in bad_age

    evicted = graven_json(
        stack.endpoint, "cache", "evict", "-p", project, "--task", task_name("total")
    )
    assert evicted == {"evicted": 1}
    rerun = graven_json(stack.endpoint, "relaunch", first_name, "--wait")
    assert cache_statuses(remote, execution_ref(rerun)[0]) == {**ALL_HIT, "total": "POPULATED"}
    assert ran(runs) == {**ONCE, "total": 2}

    # Every entry is older than no time at all; the stored artifacts stay.
    keys_before = set(stack.store.keys())
    everything = graven_json(stack.endpoint, "cache", "evict", "-p", project, "--older-than", "0s")
    assert everything == {"evicted": len(TASKS)}
    assert graven_json(stack.endpoint, "cache", "list", "-p", project) == []
    assert keys_before <= set(stack.store.keys())
    printed = graven(stack.endpoint, "cache", "evict", "-p", project, "--older-than", "1d")
    assert printed.returncode == 0, printed.stderr
    assert "Evicted 0 cache entries." in printed.stdout


FOLDERS = """
    import shutil
    import tempfile
    from pathlib import Path

    from graven import Directory, task, workflow

    RUNS = Path({runs!r})


    @task(cache=True)
    def stamped(folder: Directory) -> Directory:
        with (RUNS / "stamped").open("a") as log:
            log.write("ran\\n")
        out = Path(tempfile.mkdtemp()) / "out"
        shutil.copytree(folder.path, out)
        names = [p.relative_to(folder.path).as_posix() for p in folder.files()]
        sizes = [f"{{name}} {{(folder.path / name).stat().st_size}}" for name in names]
        (out / "MANIFEST").write_text("\\n".join(sizes))
        return Directory(out)


    @workflow
    def stamp(folder: Directory) -> Directory:
        return stamped(folder=folder)
"""


def test_a_folder_input_is_its_files_wherever_it_lies(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    flows = FOLDERS.format(runs=str(runs))
    package = write_package(tmp_path / "code", "folderflows", {"flows": flows})
    folder = tmp_path / "photos"
    (folder / "2024").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "2024" / "b.bin").write_bytes(bytes(range(256)) * 10)

    remote.register(package, project=project)
    launched = remote.launch(
        "folderflows.flows.stamp", {"folder": Directory(folder)}, project=project
    )
    assert finish(remote, launched.id).closure.phase == ex.EXECUTION_PHASE_SUCCEEDED
    (result,) = remote.output_values(launched.id).values()
    assert isinstance(result, Directory)
    assert sorted(p.relative_to(result.path).as_posix() for p in result.files()) == [
        "2024/b.bin",
        "MANIFEST",
        "a.txt",
    ]
    assert (result.path / "MANIFEST").read_text() == "2024/b.bin 2560\na.txt 5"
    assert (result.path / "2024" / "b.bin").read_bytes() == bytes(range(256)) * 10

    # The same files elsewhere, named on the command line: the same input.
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(folder, copy)
    again = graven_json(
        stack.endpoint, "run", f"{package}:stamp", "-p", project, "--folder", str(copy)
    )
    assert cache_statuses(remote, execution_ref(again)[0]) == {"stamped": "HIT"}
    assert counted(runs, "stamped") == 1

    nowhere = str(tmp_path / "nope")
    missing = one_line_error(
        graven(stack.endpoint, "run", f"{package}:stamp", "-p", project, "--folder", nowhere)
    )
    assert "no such folder" in missing


def test_identical_nodes_launched_together_run_once(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    package = write_project(tmp_path / "code", runs)
    data = numbers(tmp_path / "data")
    remote.register(package, project=project)
    launched = [remote.launch(WORKFLOW, {"data": File(data)}, project=project) for _ in range(3)]
    for execution in launched:
        assert finish(remote, execution.id).closure.phase == ex.EXECUTION_PHASE_SUCCEEDED
        assert remote.outputs(execution.id) == {"total": 20, "label": "4 values"}
    # Whichever started first computed each node; the others waited for it and reused it.
    assert ran(runs) == ONCE
    statuses = [cache_statuses(remote, e.id) for e in launched]
    for task in TASKS:
        assert sorted(s[task] for s in statuses) == ["HIT", "HIT", "POPULATED"]
