"""Tasks that fail, fail for good, or overrun: what `graven` shows a user about each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_support import counted, execution_ref, graven, graven_json, wait_for_exit, write_package

SHAKY = """
    import os
    import time
    from pathlib import Path

    from graven import task, workflow


    class FlakyError(RuntimeError):
        pass


    def record_run(folder: str, name: str) -> int:
        path = Path(folder, name)
        with path.open("a") as f:
            f.write("run\\n")
        return len(path.read_text().splitlines())


    def parse_level(text: str) -> int:
        if not text.isdigit():
            raise ValueError(f"level {text!r} is not a number")
        return int(text)


    @task(retries=2)
    def flaky(folder: str, failures: int) -> str:
        run = record_run(folder, "flaky")
        if run <= failures:
            raise FlakyError(f"run {run} of {failures} fails")
        return f"succeeded on run {run}"


    @task(retries=1)
    def doomed(folder: str, level: str) -> int:
        record_run(folder, "doomed")
        return parse_level(level)


    @task(timeout=1)
    def sluggish(folder: str) -> int:
        Path(folder, "sluggish.pid").write_text(str(os.getpid()))
        time.sleep(120)
        return 1


    @workflow
    def retried(folder: str, failures: int) -> str:
        return flaky(folder=folder, failures=failures)


    @workflow
    def broken(folder: str, level: str) -> int:
        return doomed(folder=folder, level=level)


    @workflow
    def stuck(folder: str) -> int:
        return sluggish(folder=folder)
"""


@pytest.fixture
def shaky(tmp_path: Path) -> Path:
    return write_package(tmp_path / "code", "shaky", {"flows": SHAKY})


def test_two_failures_then_success_show_three_attempts(
    endpoint: str, project: str, shaky: Path, tmp_path: Path
) -> None:
    printed = graven_json(
        endpoint,
        *("run", f"{shaky}:retried", "-p", project),
        *("--folder", str(tmp_path), "--failures", "2"),
    )
    assert printed["outputs"] == {"o0": "succeeded on run 3"}
    _, name = execution_ref(printed)

    shown = graven_json(endpoint, "executions", "get", name)
    execution = shown["execution"]
    assert execution["closure"]["phase"] == "EXECUTION_PHASE_SUCCEEDED"
    nodes = shown["node_executions"]
    (node,) = nodes
    attempts = node["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["phase"] for a in attempts] == [
        "NODE_PHASE_FAILED",
        "NODE_PHASE_FAILED",
        "NODE_PHASE_SUCCEEDED",
    ]
    assert [a["error"]["type"] for a in attempts[:2]] == ["shaky.flows.FlakyError"] * 2
    assert attempts[1]["error"]["message"] == "run 2 of 2 fails"
    assert counted(tmp_path, "flaky") == 3


def test_exhausted_retries_fail_with_the_users_exception_and_traceback(
    endpoint: str, project: str, shaky: Path, tmp_path: Path
) -> None:
    result = graven(
        endpoint,
        *("run", f"{shaky}:broken", "-p", project),
        *("--folder", str(tmp_path), "--level", "eleven"),
    )
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "FAILED" in out
    assert "USER error in node n0: ValueError: level 'eleven' is not a number" in out
    # The user's frames, down to the line that raised.
    assert "Traceback (most recent call last):" in out
    assert re.search(r'shaky/flows\.py", line \d+, in doomed', out), out
    assert re.search(r'shaky/flows\.py", line \d+, in parse_level', out), out
    assert 'raise ValueError(f"level {text!r} is not a number")' in out
    # retries=1: two runs, then the execution fails.
    assert counted(tmp_path, "doomed") == 2

    (launched,) = re.findall(r"Launched (\S+)", out)
    shown = graven_json(endpoint, "executions", "get", launched)
    execution = shown["execution"]
    assert execution["closure"]["phase"] == "EXECUTION_PHASE_FAILED"
    error = execution["closure"]["error"]
    assert (error["kind"], error["type"]) == ("ERROR_KIND_USER", "ValueError")
    assert "in parse_level" in error["traceback"]
    assert "outputs" not in shown


def test_a_task_past_its_timeout_is_stopped_and_timed_out(
    endpoint: str, project: str, shaky: Path, tmp_path: Path
) -> None:
    printed = graven_json(
        endpoint, "run", f"{shaky}:stuck", "-p", project, "--folder", str(tmp_path), exit_code=1
    )
    assert "outputs" not in printed
    _, name = execution_ref(printed)
    shown = graven_json(endpoint, "executions", "get", name)
    execution = shown["execution"]
    assert execution["closure"]["phase"] == "EXECUTION_PHASE_TIMED_OUT"
    assert execution["closure"]["error"]["kind"] == "ERROR_KIND_TIMEOUT"
    nodes = shown["node_executions"]
    assert [n["phase"] for n in nodes] == ["NODE_PHASE_TIMED_OUT"]
    # The task itself was stopped, not merely reported: its worker process is gone.
    wait_for_exit(int((tmp_path / "sluggish.pid").read_text()), timeout=10)
