"""Provenance survives the loss of the database: `graven admin reindex` rebuilds the lineage
index from the records stored beside the artifacts, and every lineage query answers exactly
as it did before, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from auth_support import admin_token, remember, token_for
from cached_project import by_task, write_project
from e2e_support import execution_ref, graven, graven_json
from stack_support import (  # noqa: F401  (fixtures)
    DatabaseUnderTest,
    StoreUnderTest,
    database_fixture,
    delete_database,
    running_stack,
    store_fixture,
)

from graven.control_plane.app import ControlPlane
from graven.remote import Remote


@pytest.fixture(scope="module")
def agent() -> None:
    """No shared agent: the test runs a stack of its own, and stops it half way."""


def lineage_answers(stack_endpoint: str, queries: list[list[str]]) -> list[Any]:
    return [graven_json(stack_endpoint, *query) for query in queries]


def test_lineage_answers_the_same_after_the_database_is_rebuilt(
    store: StoreUnderTest,
    database: DatabaseUnderTest,
    ray_address: str,
    project: str,
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    runs = tmp_path / "runs"
    data = tmp_path / "numbers.txt"
    data.write_text("3 1 4 1 5")
    with running_stack(home, store, database, ray_address) as stack:
        package = write_project(tmp_path / "code", runs)
        run = ["run", f"{package}:pipeline", "-p", project, "--data", str(data)]
        first_id, first_name = execution_ref(graven_json(stack.endpoint, *run))
        # A second version reuses part of the first (cache hits, with their sources).
        write_project(tmp_path / "code", runs, factor=5)
        second_id, second_name = execution_ref(graven_json(stack.endpoint, *run))
        with Remote(stack.endpoint, token=token_for(stack.endpoint)) as remote:
            nodes = by_task(remote, second_id)
            data_hash = remote.data(second_id).inputs.literals["data"].hash
            (final,) = nodes["total"].output_hashes.values()
            artifact = remote.artifact(final)
        (reused,) = nodes["load"].output_hashes.values()
        queries = [
            ["lineage", final],
            ["lineage", reused, "--upstream", "--downstream"],
            ["lineage", data_hash, "--downstream", "--depth", "2"],
            ["lineage", first_name, "--upstream", "--downstream"],
            ["lineage", second_name],
            ["lineage", "--file", str(data)],
        ]
        before = lineage_answers(stack.endpoint, queries)
        assert before[0]["steps"], "no lineage to compare"
        assert any(s.get("cache_source") for s in before[4]["steps"]), "no cache hit recorded"

    delete_database(stack)
    with (
        ControlPlane(database.settings(home, store)) as empty,
        Remote(empty.grpc_address, token=admin_token(empty)) as r,
    ):
        assert not list(r.list_executions(project, "development")), "the database survived"
    rebuilt = graven(
        stack.endpoint,
        "admin",
        "reindex",
        "--home",
        str(home),
        *database.options(),
        "--store",
        store.url,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Reindexed" in rebuilt.stdout

    with ControlPlane(database.settings(home, store)) as plane:
        remember(plane)
        after = lineage_answers(plane.grpc_address, queries)
        with Remote(plane.grpc_address, token=token_for(plane.grpc_address)) as remote:
            assert remote.artifact(final) == artifact
    assert after == before
    assert first_id.name in str(after[3])
