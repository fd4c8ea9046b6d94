"""How the console copes with size, measured in the e2e run and printed, never asserted (the
machines are shared and noisy): the first page of executions with 10,000 stored, and the
graph of a 500-node workflow."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from console_support import Stack
from e2e.e2e_support import graven, graven_json, write_package
from playwright.sync_api import Page, expect

from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.execution_repository import (
    ExecutionRepository,
    NewExecution,
)
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier, ResourceType

STORED = 10_000
PAGE_ROWS = 50
CHAINS, CHAIN_LENGTH = 25, 20
FINISH_MS = 120_000

WIDE = f"""
    from graven import task, workflow


    @task
    def step(x: int) -> int:
        return x + 1


    @workflow
    def wide(x: int) -> int:
        ends = []
        for _ in range({CHAINS}):
            value = x
            for _ in range({CHAIN_LENGTH}):
                value = step(x=value)
            ends.append(value)
        return ends[0]
"""


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():
        print(f"\n[console figures] {line}")


def store_executions(stack: Stack, project: str, count: int) -> None:
    """``count`` finished executions written through the repository, as the control plane
    writes them (finished, so the running agent never claims one)."""
    from datetime import UTC, datetime, timedelta

    engine = make_engine(stack.db_url)
    repository = ExecutionRepository(make_sessions(engine))
    workflow = Identifier(
        resource_type=ResourceType.RESOURCE_TYPE_WORKFLOW,
        project=project,
        domain="development",
        name="perf.flows.noop",
        version="v1",
    )
    start = datetime.now(UTC) - timedelta(hours=3)
    executions = []
    for i in range(count):
        at = to_timestamp(start + timedelta(seconds=i))
        execution = pb.Execution(
            id=ExecutionIdentifier(project=project, domain="development", name=f"p{i:06d}"),
            spec=pb.ExecutionSpec(workflow_id=workflow, mode=pb.EXECUTION_MODE_MANUAL),
            closure=pb.ExecutionClosure(
                phase=pb.EXECUTION_PHASE_SUCCEEDED,
                created_at=at,
                started_at=at,
                updated_at=at,
                finished_at=at,
            ),
        )
        executions.append(NewExecution(execution))
    try:
        assert all(repository.insert(executions, before_commit=lambda _inserted: []))
    finally:
        engine.dispose()


def test_first_page_with_10000_executions(
    page: Page, stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    project = f"perf-{uuid.uuid4().hex[:8]}"
    began = time.perf_counter()
    store_executions(stack, project, STORED)
    stored = time.perf_counter() - began
    page.goto("/executions?project=default&domain=development")  # the app is loaded and warm
    expect(page.get_by_role("heading", name="Executions")).to_be_visible()

    began = time.perf_counter()
    page.goto(f"/executions?project={project}&domain=development")
    rows = page.get_by_test_id("executions").locator("tbody tr")
    expect(rows).to_have_count(PAGE_ROWS)
    first_page = time.perf_counter() - began
    expect(rows.first).to_contain_text(f"p{STORED - 1:06d}")  # newest first

    began = time.perf_counter()
    page.get_by_role("button", name="Older →").click()
    expect(rows.first).to_contain_text(f"p{STORED - 1 - PAGE_ROWS:06d}")
    next_page = time.perf_counter() - began
    report(
        capsys,
        f"{STORED} executions stored (in {stored:.1f} s): first page of {PAGE_ROWS} rendered "
        f"in {first_page * 1000:.0f} ms (navigation to rows on screen), next page "
        f"{next_page * 1000:.0f} ms",
    )


def test_graph_of_a_500_node_workflow(
    page: Page, stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = f"perf-{uuid.uuid4().hex[:8]}"
    package = write_package(tmp_path, "big", {"flows": WIDE})
    registered = graven(stack.endpoint, "register", str(package), "-p", project, "--version", "v1")
    assert registered.returncode == 0, registered.stderr
    nodes = page.get_by_test_id("dag").locator(".react-flow__node")
    page.goto("/executions?project=default&domain=development")
    expect(page.get_by_role("heading", name="Executions")).to_be_visible()

    began = time.perf_counter()
    page.goto(f"/workflows/{project}/development/big.flows.wide?version=v1")
    expect(nodes).to_have_count(CHAINS * CHAIN_LENGTH, timeout=30_000)
    expect(nodes.last).to_be_visible()
    workflow_graph = time.perf_counter() - began

    run = graven_json(stack.endpoint, "run", f"{package}:wide", "-p", project, "--x", "1")
    assert run["outputs"] == {"o0": 1 + CHAIN_LENGTH}
    name = run["execution"]["id"]["name"]
    began = time.perf_counter()
    page.goto(f"/executions/{project}/development/{name}")
    expect(nodes).to_have_count(CHAINS * CHAIN_LENGTH, timeout=30_000)
    expect(page.locator('.react-flow__node [data-phase="Succeeded"]')).to_have_count(
        CHAINS * CHAIN_LENGTH, timeout=FINISH_MS
    )
    execution_graph = time.perf_counter() - began
    page.screenshot(path=str(Path(__file__).parents[2] / "docs" / "screenshots" / "graph-500.png"))
    report(
        capsys,
        f"500-node workflow graph rendered in {workflow_graph * 1000:.0f} ms (version page), "
        f"{execution_graph * 1000:.0f} ms with every node coloured by phase (execution page)",
    )
