"""The workflow language in the console, in Chromium, against a live `graven up`: a branch
shows the case it took and greys the one it skipped, an approval gate is approved from its
button (and then the workflow finishes), a wait_for_input refuses a wrong-typed value with
the server's reason next to the field and takes a right one, a map shows its elements by
phase. Views are saved to docs/screenshots/."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from console_support import Stack, screenshot_path
from e2e.e2e_support import execution_ref, graven_json, write_package
from playwright.sync_api import Locator, Page, expect

# Long enough for a run on a machine shared with other test runs; only a hang reaches it.
FINISH_MS = 90_000

RELEASE = """
    from graven import approve, conditional, task, wait_for_input, workflow
    import graven


    @task
    def score(x: float) -> float:
        return x * 2


    @task
    def promote(s: float) -> str:
        return f"promoted {s}"


    @task
    def hold(s: float) -> str:
        return f"held {s}"


    @task
    def shards(n: int) -> list[int]:
        return list(range(n))


    @task
    def square(x: int) -> int:
        if x == 3:
            raise ValueError("shard 3 is bad")
        return x * x


    @task
    def scaled(s: str, factor: float) -> str:
        return f"{s} x{factor}"


    @workflow
    def release(x: float) -> str:
        s = score(x=x)
        decision = (
            conditional("quality").if_(s > 0.5).then(promote(s=s)).else_().then(hold(s=s))
        )
        return approve(decision, "publish", timeout=600)


    @workflow
    def tuned(x: float) -> str:
        factor = wait_for_input("factor", timeout=600, expected_type=float)
        return scaled(s=promote(s=x), factor=factor)


    @workflow
    def graded(x: float) -> str:
        return promote(s=score(x=x))


    @workflow
    def nested(x: float) -> str:
        return graded(x=score(x=x))


    @workflow
    def squares(n: int) -> list[int | None]:
        return graven.map(square, concurrency=2, min_success_ratio=0.5)(x=shards(n=n))
"""


@pytest.fixture
def project() -> str:
    return f"language-{uuid.uuid4().hex[:8]}"


def launch(stack: Stack, package: Path, workflow: str, project: str, *inputs: str) -> str:
    printed = graven_json(
        stack.endpoint, "run", f"{package}:{workflow}", "-p", project, "--no-wait", *inputs
    )
    return execution_ref(printed)[0].name


def phase_of(page: Page) -> Locator:
    return page.locator(".page-head [data-phase]").first


def test_branch_greys_the_skipped_case_and_the_gate_is_approved_from_its_button(
    page: Page, stack: Stack, project: str, tmp_path: Path
) -> None:
    package = write_package(tmp_path, "release", {"flows": RELEASE})
    name = launch(stack, package, "release", project, "--x", "0.4")
    page.goto(f"/executions/{project}/development/{name}")

    branch = page.locator('[data-kind="branch"]')
    taken = branch.locator("[data-case]", has_text="promote")
    skipped = branch.locator("[data-case]", has_text="hold")
    expect(taken).to_have_attribute("data-status", "taken", timeout=FINISH_MS)
    expect(taken).to_contain_text("> 0.5")
    expect(skipped).to_have_attribute("data-status", "skipped")

    # The approval waits; its button approves it, and the workflow finishes.
    page.locator('[data-kind="gate"]').click()
    gate = page.get_by_test_id("gate")
    approve = gate.get_by_role("button", name="Approve")
    expect(approve).to_be_visible(timeout=FINISH_MS)
    expect(phase_of(page)).to_have_attribute("data-phase", "Running")
    page.screenshot(path=screenshot_path("branch-and-gate"), full_page=True)
    gate.get_by_label("Set by").fill("ada")
    approve.click()
    expect(gate.get_by_test_id("signal-value")).to_have_text("approved")
    expect(gate.get_by_test_id("signal-set-by")).to_have_text("ada")
    expect(phase_of(page)).to_have_attribute("data-phase", "Succeeded", timeout=FINISH_MS)
    expect(page.get_by_text("promoted 0.8").first).to_be_visible()

    # The skipped case opens as a node of its own, recorded as skipped.
    skipped.click()
    panel = page.get_by_test_id("node-panel")
    expect(panel.locator(".panel-head .badge")).to_have_text("Skipped")


def test_wait_for_input_refuses_a_wrong_type_then_takes_a_float(
    page: Page, stack: Stack, project: str, tmp_path: Path
) -> None:
    package = write_package(tmp_path, "tuning", {"flows": RELEASE})
    name = launch(stack, package, "tuned", project, "--x", "2.0")
    page.goto(f"/executions/{project}/development/{name}")
    page.locator('[data-kind="gate"]').click()
    gate = page.get_by_test_id("gate")
    field = gate.get_by_label("Value")
    expect(field).to_be_visible(timeout=FINISH_MS)

    field.fill("high")
    gate.get_by_role("button", name="Set").click()
    refusal = gate.get_by_test_id("signal-error")
    expect(refusal).to_contain_text("float")
    expect(field).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=screenshot_path("signal-refused"), full_page=True)
    # Refused, the gate keeps waiting for a value of its type.
    expect(phase_of(page)).to_have_attribute("data-phase", "Running")

    field.fill("1.5")
    gate.get_by_role("button", name="Set").click()
    expect(gate.get_by_test_id("signal-value")).to_have_text("1.5")
    expect(phase_of(page)).to_have_attribute("data-phase", "Succeeded", timeout=FINISH_MS)
    expect(page.get_by_text("promoted 2.0 x1.5").first).to_be_visible()


def test_a_subworkflow_expands_in_place(
    page: Page, stack: Stack, project: str, tmp_path: Path
) -> None:
    package = write_package(tmp_path, "nesting", {"flows": RELEASE})
    name = launch(stack, package, "nested", project, "--x", "1.0")
    page.goto(f"/executions/{project}/development/{name}")
    expect(phase_of(page)).to_have_attribute("data-phase", "Succeeded", timeout=FINISH_MS)
    expect(page.get_by_text("promoted 4.0").first).to_be_visible()

    subworkflow = page.locator('[data-kind="subworkflow"]')
    expect(page.locator('[data-node="n1/n1"]')).to_have_count(0)
    subworkflow.get_by_role("button", name="Expand graded").click()
    inner = page.locator('[data-node="n1/n1"]')
    expect(inner).to_have_attribute("data-phase", "Succeeded")
    inner.click()
    panel = page.get_by_test_id("node-panel")
    expect(panel.get_by_text("nesting.flows.promote", exact=False)).to_be_visible()
    page.screenshot(path=screenshot_path("subworkflow"), full_page=True)
    page.get_by_role("button", name="Collapse graded").click()
    expect(page.locator('[data-node="n1/n1"]')).to_have_count(0)


def test_map_shows_its_elements_by_phase(
    page: Page, stack: Stack, project: str, tmp_path: Path
) -> None:
    package = write_package(tmp_path, "mapping", {"flows": RELEASE})
    name = launch(stack, package, "squares", project, "--n", "6")
    page.goto(f"/executions/{project}/development/{name}")
    expect(phase_of(page)).to_have_attribute("data-phase", "Succeeded", timeout=FINISH_MS)

    counts = page.locator('[data-kind="map"]').get_by_test_id("map-counts")
    expect(counts).to_contain_text("5 succeeded")
    expect(counts).to_contain_text("1 failed")
    page.locator('[data-kind="map"]').click()
    elements = page.get_by_test_id("map-elements")
    expect(elements.locator("tbody tr")).to_have_count(6)
    page.screenshot(path=screenshot_path("map"), full_page=True)

    # The failed element opens its own panel, with its traceback.
    elements.locator('tr[data-element="3"]').click()
    panel = page.get_by_test_id("node-panel")
    expect(panel.locator(".panel-head h2")).to_have_text(re.compile(r"/3$"))
    expect(panel.locator("pre.traceback")).to_contain_text("shard 3 is bad")
