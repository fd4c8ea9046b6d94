"""Maps through the whole stack, on the embedded pair (SQLite + a folder): a map of 1,000
elements over a list an upstream task produced, with five failing elements, tolerated by
min_success_ratio=0.99 and failing the workflow at 1; recover reruns only the elements that
did not succeed; a cached map rerun after one element's input changed runs that element
only. Outputs equal a local run as plain Python; side effects are counted in files.

One stack only: 1,000 Ray tasks on the suite's two cores is the slow part of the suite, and
the PostgreSQL + MinIO pair runs the same walk (test_language_graphs, test_language_gates).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from e2e_support import execution_ref, graven_json
from language_project import children, local, nodes_by_id, runs, write_project
from stack_support import (  # noqa: F401  (fixtures)
    StoreUnderTest,
    agent_fixture,
    database_fixture,
    endpoint_fixture,
    stack_fixture,
)

from graven.remote import Remote
from graven.v1 import execution_pb2 as ex

COUNT = 1000
FAILING = [3, 250, 500, 751, 999]
# What a map of COUNT no-op-sized elements may take end to end on two contended cores.
MAP_SECONDS = 180.0


@pytest.fixture(name="store", scope="module")
def embedded_store(tmp_path_factory: pytest.TempPathFactory) -> StoreUnderTest:
    return StoreUnderTest(url=tmp_path_factory.mktemp("store").as_uri(), minio=None)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("code"))


def folders(tmp_path: Path) -> tuple[Path, Path]:
    remote, here = tmp_path / "remote", tmp_path / "local"
    remote.mkdir()
    here.mkdir()
    return remote, here


def elements(
    remote: Remote, execution_id: ex.ExecutionIdentifier, parent: str
) -> dict[int, ex.NodeExecution]:
    """The map's elements by index, as ListNodeExecutions filtered by their parent gives them."""
    listed = children(remote, execution_id, parent)
    by_index = {int(n.id.node_id.removeprefix(f"{parent}/")): n for n in listed}
    assert len(by_index) == len(listed), "two elements under one id"
    assert {n.parent_node_id for n in listed} <= {parent}
    return by_index


def most_at_once(nodes: list[ex.NodeExecution]) -> int:
    """The most attempts that ran at one moment, from their recorded start and end."""
    edges = sorted(
        (moment.ToNanoseconds(), step)
        for n in nodes
        for a in n.attempts
        for moment, step in ((a.started_at, 1), (a.finished_at, -1))
    )
    running = peak = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        running += step
        peak = max(peak, running)
    return peak


def test_a_map_of_a_thousand_elements_tolerates_five_failures(
    endpoint: str, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    folder, here = folders(tmp_path)
    expected = local(package).tolerant(folder=str(here), count=COUNT, failing=FAILING)
    assert [i for i, v in enumerate(expected) if v is None] == FAILING

    started = time.monotonic()
    printed = graven_json(
        endpoint,
        *("run", f"{package}:tolerant", "-p", project, "--folder", str(folder)),
        *("--count", str(COUNT), "--failing", json.dumps(FAILING)),
    )
    took = time.monotonic() - started
    print(f"a map of {COUNT} elements at concurrency 2 ran in {took:.1f} s")
    assert took < MAP_SECONDS
    assert printed["outputs"] == {"o0": expected}
    execution_id, _ = execution_ref(printed)

    # tolerant: n0 numbers, n1 the map.
    top = nodes_by_id(remote, execution_id)
    assert top["n1"].phase == ex.NODE_PHASE_SUCCEEDED
    mapped = elements(remote, execution_id, "n1")
    assert sorted(mapped) == list(range(COUNT))
    failed = sorted(i for i, n in mapped.items() if n.phase == ex.NODE_PHASE_FAILED)
    assert failed == FAILING
    assert all(mapped[i].phase == ex.NODE_PHASE_SUCCEEDED for i in set(mapped) - set(FAILING))
    for i in FAILING:
        error = mapped[i].error
        assert error.type == "ValueError"
        assert error.message == f"element {i} is bad"
        assert 'raise ValueError(f"element {x} is bad")' in error.traceback
        assert "in score" in error.traceback
    # Each element ran once (no retries), and never more than two at a time.
    assert Counter(runs(folder, "score")) == Counter(str(i) for i in range(COUNT))
    assert most_at_once(list(mapped.values())) <= 2

    # The failures are in `graven executions get`, each with its traceback.
    _, name = execution_ref(printed)
    shown = graven_json(endpoint, "executions", "get", name, "-p", project)
    errors = {
        n["id"]["node_id"]: n["error"]
        for n in shown["node_executions"]
        if n.get("parent_node_id") == "n1" and n["phase"] == "NODE_PHASE_FAILED"
    }
    assert sorted(errors) == sorted(f"n1/{i}" for i in FAILING)
    assert all("Traceback (most recent call last)" in e["traceback"] for e in errors.values())


def test_a_map_that_must_fully_succeed_fails_the_workflow(
    endpoint: str, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    folder, here = folders(tmp_path)
    with pytest.raises(ValueError, match="element 3 is bad"):
        local(package).strict(folder=str(here), count=COUNT, failing=FAILING)
    printed = graven_json(
        endpoint,
        *("run", f"{package}:strict", "-p", project, "--folder", str(folder)),
        *("--count", str(COUNT), "--failing", json.dumps(FAILING)),
        exit_code=1,
    )
    closure = printed["execution"]["closure"]
    assert closure["phase"] == "EXECUTION_PHASE_FAILED"
    # As locally, the first failure ends the map: no element after it starts (the one
    # running beside it, concurrency 2, may have run), and it is named.
    assert closure["error"]["type"] == "ValueError"
    assert re.fullmatch(
        r"1 of 1000 elements failed \(\d succeeded, 1000 needed\); "
        r"first: element n1/3: ValueError: element 3 is bad",
        closure["error"]["message"],
    )
    local_runs, engine_runs = Counter(runs(here, "score")), Counter(runs(folder, "score"))
    assert all(engine_runs[x] == 1 for x in local_runs)
    assert len(engine_runs) <= len(local_runs) + 1
    execution_id, _ = execution_ref(printed)
    assert nodes_by_id(remote, execution_id)["n1"].phase == ex.NODE_PHASE_FAILED
    assert elements(remote, execution_id, "n1")[3].phase == ex.NODE_PHASE_FAILED


def test_recover_of_a_failed_map_reruns_only_the_elements_that_did_not_succeed(
    endpoint: str, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    folder, here = folders(tmp_path)
    xs = list(range(1, 13))
    (folder / "bad.txt").write_text("4 9")
    failed = graven_json(
        endpoint,
        *("run", f"{package}:checked", "-p", project),
        *("--folder", str(folder), "--xs", json.dumps(xs)),
        exit_code=1,
    )
    assert failed["execution"]["closure"]["phase"] == "EXECUTION_PHASE_FAILED"
    source_id, name = execution_ref(failed)
    before = elements(remote, source_id, "n0")
    succeeded = {xs[i] for i, n in before.items() if n.phase == ex.NODE_PHASE_SUCCEEDED}
    assert 4 not in succeeded
    assert succeeded, "no element succeeded before the failure"
    first_runs = Counter(runs(folder, "checked"))

    (folder / "bad.txt").write_text("")
    (here / "bad.txt").write_text("")
    recovered = graven_json(endpoint, "recover", name, "--wait", "-p", project)
    assert recovered["outputs"] == {"o0": local(package).checked(folder=str(here), xs=xs)}
    again = Counter(runs(folder, "checked")) - first_runs
    # No element that succeeded ran again; every other one ran exactly once more.
    assert set(again) == {str(x) for x in xs} - {str(x) for x in succeeded}
    assert set(again.values()) == {1}

    recovery_id, _ = execution_ref(recovered)
    after = elements(remote, recovery_id, "n0")
    assert {xs[i] for i, n in after.items() if n.phase == ex.NODE_PHASE_RECOVERED} == succeeded
    assert all(
        n.phase == ex.NODE_PHASE_SUCCEEDED for i, n in after.items() if xs[i] not in succeeded
    )


def test_a_cached_map_rerun_after_one_input_changed_runs_one_element(
    endpoint: str, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    folder, here = folders(tmp_path)
    flows = local(package)

    def run(xs: list[int]) -> ex.ExecutionIdentifier:
        printed = graven_json(
            endpoint,
            *("run", f"{package}:cached_squares", "-p", project),
            *("--folder", str(folder), "--xs", json.dumps(xs)),
        )
        assert printed["outputs"] == {"o0": flows.cached_squares(folder=str(here), xs=xs)}
        return execution_ref(printed)[0]

    run([1, 2, 3, 4, 5])
    assert Counter(runs(folder, "cached")) == Counter(["1", "2", "3", "4", "5"])
    second = run([1, 2, 30, 4, 5])
    assert Counter(runs(folder, "cached")) == Counter(["1", "2", "3", "4", "5", "30"])
    statuses = {
        i: ex.CacheStatus.Name(n.cache_status) for i, n in elements(remote, second, "n0").items()
    }
    assert statuses == {
        0: "CACHE_STATUS_HIT",
        1: "CACHE_STATUS_HIT",
        2: "CACHE_STATUS_POPULATED",
        3: "CACHE_STATUS_HIT",
        4: "CACHE_STATUS_HIT",
    }
