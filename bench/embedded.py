"""An embedded Graven stack (`graven up`) in a subprocess, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graven.ports import free_loopback_port

READY_TIMEOUT_S = 120


@contextmanager
def embedded_stack(*extra_args: str) -> Iterator[str]:
    """Yield the gRPC endpoint of a fresh `graven up` with its own home folder."""
    with tempfile.TemporaryDirectory(prefix="graven-bench-") as home:
        port = free_loopback_port()
        log = Path(home) / "up.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "graven.cli",
                    "up",
                    "--home",
                    home,
                    "--grpc-port",
                    str(port),
                    "--http-port",
                    str(free_loopback_port()),
                    *extra_args,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ},
            )
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while "ready" not in log.read_text():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"graven up did not start:\n{log.read_text()}")
                time.sleep(0.1)
            yield f"127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=30)
