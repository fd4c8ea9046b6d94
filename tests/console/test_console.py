"""The console as a person uses it, in Chromium, against a live `graven up` running real
workflows: list → detail → node panel → relaunch; versions and their diff; a failure's
traceback; lineage; and clear messages for bad input. Each main view is saved to
docs/screenshots/ (the README shows them)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from console_support import REPO, Stack, screenshot_path
from e2e.e2e_support import execution_ref, graven, graven_json, write_package
from playwright.sync_api import Locator, Page, expect

# Long enough for a run on a machine shared with other test runs; only a hang reaches it.
FINISH_MS = 90_000
CORPUS = "the quick brown fox jumps over the lazy dog and the quick cat naps"

SCALE = """
    from graven import task, workflow


    @task
    def scale(x: {x_type}) -> int:
        return int(x) * {factor}


    @task
    def describe(y: int) -> str:
        return f"scaled to {{y}}"


    @workflow
    def pipeline(x: {x_type}) -> str:
        return describe(y=scale(x=x))
"""

FAILING = """
    from graven import task, workflow


    @task
    def load(n: int) -> list[int]:
        return list(range(n))


    @task
    def check(rows: list[int]) -> int:
        if len(rows) > 2:
            raise ValueError(f"too many rows: {len(rows)}")
        return len(rows)


    @workflow
    def guarded(n: int) -> int:
        return check(rows=load(n=n))
"""


@pytest.fixture
def project() -> str:
    return f"console-{uuid.uuid4().hex[:8]}"


def phase_badge(page: Page) -> Locator:
    return page.locator(".page-head [data-phase]").first


def test_list_detail_node_panel_and_relaunch(page: Page, stack: Stack, project: str) -> None:
    first = graven_json(
        stack.endpoint, "run", str(REPO / "examples" / "wordcount") + ":wordcount",
        "-p", project, "--corpus", CORPUS, "--top", "3",
    )  # fmt: skip
    name = execution_ref(first)[0].name

    page.goto(f"/executions?project={project}&domain=development")
    table = page.get_by_test_id("executions")
    expect(table.get_by_role("link", name=name)).to_be_visible()
    page.screenshot(path=screenshot_path("executions"))

    # Two clicks from the list to a node's inputs and outputs.
    table.get_by_role("link", name=name).click()
    expect(phase_badge(page)).to_have_attribute("data-phase", "Succeeded")
    page.locator('[data-node="n1"]').click()
    panel = page.get_by_test_id("node-panel")
    expect(panel.get_by_text("wordcount.tasks.count_words")).to_be_visible()
    expect(panel.get_by_text('"quick": 2')).to_be_visible()
    expect(panel.get_by_text("words", exact=True)).to_be_visible()
    page.screenshot(path=screenshot_path("execution"), full_page=True)

    page.get_by_role("button", name="Relaunch ▾").click()
    page.get_by_role("menuitem", name=re.compile("Same version")).click()
    page.wait_for_url(lambda url: name not in url)
    relaunched = page.url.rsplit("/", 1)[-1].split("?")[0]
    # The page follows the new execution live (WatchExecution) until it succeeds.
    expect(phase_badge(page)).to_have_attribute("data-phase", "Succeeded", timeout=FINISH_MS)
    expect(page.get_by_text("relaunch of")).to_be_visible()
    page.goto(f"/executions?project={project}&domain=development")
    expect(page.get_by_test_id("executions").get_by_role("link", name=relaunched)).to_be_visible()


def test_relaunch_old_version_and_refused_relaunch(
    page: Page, stack: Stack, project: str, tmp_path: Path
) -> None:
    package = write_package(tmp_path, "shapes", {"flows": SCALE.format(x_type="int", factor=2)})
    old = graven_json(stack.endpoint, "run", f"{package}:pipeline", "-p", project,
                      "--version", "v1", "--x", "5")  # fmt: skip
    assert old["outputs"] == {"o0": "scaled to 10"}
    write_package(tmp_path, "shapes", {"flows": SCALE.format(x_type="int", factor=3)})
    new = graven_json(stack.endpoint, "run", f"{package}:pipeline", "-p", project,
                      "--version", "v2", "--x", "5")  # fmt: skip
    assert new["outputs"] == {"o0": "scaled to 15"}
    # A third version whose input is now a string: the int input no longer fits.
    write_package(tmp_path, "shapes", {"flows": SCALE.format(x_type="str", factor=3)})
    assert graven(stack.endpoint, "register", str(package), "-p", project, "--version", "v3")
    new_name = new["execution"]["id"]["name"]

    # From the v2 execution, relaunch v1: the old code runs again.
    page.goto(f"/executions/{project}/development/{new_name}")
    page.get_by_role("button", name="Relaunch ▾").click()
    page.get_by_label("Version to relaunch").select_option("v1")
    page.get_by_role("button", name="Run").click()
    page.wait_for_url(lambda url: new_name not in url)
    expect(phase_badge(page)).to_have_attribute("data-phase", "Succeeded", timeout=FINISH_MS)
    expect(page.get_by_text("@v1")).to_be_visible()
    expect(page.get_by_text("scaled to 10")).to_be_visible()

    # v3 does not take an int: the console says why and stays on the page.
    page.goto(f"/executions/{project}/development/{new_name}")
    page.get_by_role("button", name="Relaunch ▾").click()
    page.get_by_label("Version to relaunch").select_option("v3")
    page.get_by_role("button", name="Run").click()
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("x")
    expect(problem).to_contain_text(re.compile("str", re.IGNORECASE))
    assert new_name in page.url
    page.screenshot(path=screenshot_path("relaunch-refused"))

    # The versions of the workflow, and the diff of v1 and v2 side by side.
    page.goto(f"/workflows/{project}/development/shapes.flows.pipeline")
    versions = page.get_by_test_id("versions")
    for version in ("v1", "v2", "v3"):
        expect(versions.get_by_role("button", name=version)).to_be_visible()
    page.get_by_label("A: v1").check()
    page.get_by_label("B: v2").check()
    page.get_by_role("button", name="Compare").click()
    diff = page.get_by_test_id("diff")
    expect(diff.get_by_text(re.compile(r"task_id\.version|version"))).not_to_have_count(0)
    page.screenshot(path=screenshot_path("versions-diff"), full_page=True)


def test_failing_execution_shows_the_traceback(
    page: Page, stack: Stack, project: str, tmp_path: Path
) -> None:
    package = write_package(tmp_path, "checks", {"flows": FAILING})
    failed = graven_json(stack.endpoint, "run", f"{package}:guarded", "-p", project, "--n", "5",
                         exit_code=1)  # fmt: skip
    name = failed["execution"]["id"]["name"]
    page.goto(f"/executions/{project}/development/{name}")
    expect(phase_badge(page)).to_have_attribute("data-phase", "Failed")
    # The execution's error names the node; the node panel shows the user's traceback.
    expect(page.get_by_text("too many rows: 5").first).to_be_visible()
    page.locator('[data-node="n1"]').click()
    panel = page.get_by_test_id("node-panel")
    expect(panel.get_by_text("ValueError", exact=True)).to_be_visible()
    traceback = panel.locator("pre.traceback")
    expect(traceback).to_contain_text("Traceback (most recent call last)")
    expect(traceback).to_contain_text('raise ValueError(f"too many rows: {len(rows)}")')
    page.screenshot(path=screenshot_path("failure"), full_page=True)


def test_lineage_of_an_execution(page: Page, stack: Stack, project: str) -> None:
    run = graven_json(
        stack.endpoint, "run", str(REPO / "examples" / "wordcount") + ":wordcount",
        "-p", project, "--corpus", CORPUS,
    )  # fmt: skip
    name = run["execution"]["id"]["name"]
    page.goto(f"/lineage?execution={project}/development/{name}")
    graph = page.get_by_test_id("lineage-graph")
    expect(graph.locator('[data-lineage="step"]')).not_to_have_count(0)
    expect(graph.locator('[data-lineage="artifact"]')).not_to_have_count(0)
    graph.locator('[data-lineage="step"]', has_text="count_words").click()
    panel = page.get_by_test_id("lineage-panel")
    expect(panel.get_by_role("link", name=name)).to_be_visible()
    page.screenshot(path=screenshot_path("lineage"), full_page=True)


def test_bad_input_gets_a_clear_message(page: Page, stack: Stack, project: str) -> None:
    page.goto(f"/executions/{project}/development/nosuchexecution")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not found")
    expect(alert).to_contain_text(f"execution {project}/development/nosuchexecution does not exist")
    page.screenshot(path=screenshot_path("not-found"))

    page.goto(f"/executions?project={project}&domain=development&workflow=no.such.workflow")
    expect(page.get_by_text("No execution matches these filters.")).to_be_visible()

    page.goto("/executions?project=Not_A_Project&domain=development")
    expect(page.get_by_role("alert")).to_contain_text("project")

    page.goto("/no/such/page")
    expect(page.get_by_role("alert")).to_contain_text("No such page")

    page.goto("/lineage?artifact=not-a-hash")
    expect(page.get_by_role("alert")).to_contain_text("neither an artifact hash")
