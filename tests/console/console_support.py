"""A `graven up` in a subprocess, as a user runs it, and what the browser tests share."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from auth_support import home_token, remember_home

from graven.ports import free_loopback_port

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
READY_SECONDS = 120.0


@dataclass(frozen=True)
class Stack:
    home: Path
    endpoint: str
    url: str

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.home / 'graven.db'}"

    @property
    def token(self) -> str:
        """The admin token `graven up` wrote into its home."""
        return home_token(self.home)

    @property
    def login_url(self) -> str:
        """The console URL `graven up` printed on its `login` line (`make demo` prints it too):
        it signs a browser tab in."""
        for line in (self.home / "up.log").read_text().splitlines():
            label, _, value = line.strip().partition(" ")
            if label == "login":
                return value.strip()
        raise AssertionError(f"graven up printed no login URL into {self.home / 'up.log'}")


@contextmanager
def graven_up(home: Path, ray_address: str) -> Iterator[Stack]:
    """`graven up` with its own home, on free ports, joined to the session's Ray; its log is
    home/up.log. Yields once it printed "ready"."""
    grpc_port, http_port = free_loopback_port(), free_loopback_port()
    log = home / "up.log"
    command = [sys.executable, "-m", "graven.cli", "up", "--home", str(home)]
    ports = ["--grpc-port", str(grpc_port), "--http-port", str(http_port)]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, *ports, "--ray", ray_address],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env={**os.environ, "COLUMNS": "200"},
        )
    try:
        deadline = time.monotonic() + READY_SECONDS
        while "ready" not in log.read_text().splitlines():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"graven up did not start:\n{log.read_text()}")
            time.sleep(0.05)
        endpoint = f"127.0.0.1:{grpc_port}"
        # So the CLI runs of the tests (e2e_support.graven) carry this stack's token.
        remember_home(endpoint, home)
        yield Stack(home, endpoint, f"http://127.0.0.1:{http_port}")
    finally:
        process.terminate()
        process.wait(timeout=60)


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
