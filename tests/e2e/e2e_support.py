"""What the end-to-end tests do as a user would: write a project, run the `graven` command,
follow executions through the control plane, and wait on what can be seen, with deadlines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
from auth_support import token_env

from graven.control_plane.execution_phases import EXECUTION_TERMINAL
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1 import execution_service_pb2 as exs
from graven.v1.identifier_pb2 import ExecutionIdentifier

REPO = Path(__file__).resolve().parents[2]
# Generous: a deadline that only a hang reaches, on a machine shared with other test runs.
FINISH_SECONDS = 60.0
CLI_SECONDS = 120.0


def graven(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The `graven` command in a process of its own, run from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "graven.cli", *args],
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
        cwd=REPO,
        env={**os.environ, **token_env(endpoint), "COLUMNS": "200"},
    )


def graven_json(endpoint: str, *args: str, exit_code: int = 0) -> Any:
    """What a `graven ... --json` command printed; it must exit with ``exit_code`` (1 for a
    followed execution that did not succeed)."""
    result = graven(endpoint, *args, "--json")
    assert result.returncode == exit_code, result.stderr
    return json.loads(result.stdout)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error:`` line a refused command prints (no traceback, non-zero exit)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def write_package(root: Path, package: str, modules: Mapping[str, str]) -> Path:
    """A user's package ``root/package`` holding ``modules`` (name → source); its path."""
    folder = root / package
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("")
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return folder


def execution_ref(printed: Mapping[str, Any]) -> tuple[ExecutionIdentifier, str]:
    """The id of the execution a `--json` command printed, and its PROJECT/DOMAIN/NAME."""
    execution = printed.get("execution", printed)
    identifier = ExecutionIdentifier(**execution["id"])
    return identifier, f"{identifier.project}/{identifier.domain}/{identifier.name}"


def finish(
    remote: Remote, execution_id: ExecutionIdentifier, timeout: float = FINISH_SECONDS
) -> ex.Execution:
    """Follow the execution's watch stream until it is terminal, within ``timeout`` seconds."""
    request = exs.WatchExecutionRequest(id=execution_id)
    last: ex.Execution | None = None
    try:
        for update in remote.executions.WatchExecution(request, timeout=timeout):
            last = update.execution
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
            raise
    assert last is not None, f"execution {execution_id.name} sent nothing within {timeout} s"
    assert last.closure.phase in EXECUTION_TERMINAL, (
        f"execution {execution_id.name} not finished within {timeout} s: {last.closure}"
    )
    return last


def wait_for_file(path: Path, timeout: float = FINISH_SECONDS) -> str:
    """The text of ``path`` once a task has written it (a short text: one write)."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size):
        assert time.monotonic() < deadline, f"{path} did not appear within {timeout} s"
        time.sleep(0.02)
    return path.read_text()


def wait_for_exit(pid: int, timeout: float) -> None:
    """Return once process ``pid`` is gone."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"process {pid} still runs after {timeout} s"
        time.sleep(0.02)


def counted(folder: Path, name: str) -> int:
    """How many times a task recorded a run in ``folder/name`` (one line per run)."""
    path = folder / name
    return len(path.read_text().splitlines()) if path.exists() else 0
