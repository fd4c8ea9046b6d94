"""A MinIO server as a child process on a free loopback port, with credentials of its own:
how the tests and the benchmarks get a real S3 endpoint without any shared state."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from minio import Minio

from graven.ports import free_loopback_port

READY_SECONDS = 60.0


@dataclass(frozen=True)
class MinioServer:
    endpoint: str
    access_key: str
    secret_key: str
    log: Path

    def url(self, bucket: str | None = None, prefix: str = "") -> str:
        """An s3:// store URL on this server; a fresh bucket unless one is named."""
        bucket = bucket or f"graven-{uuid.uuid4().hex[:16]}"
        path = f"/{prefix}" if prefix else ""
        return f"s3://{bucket}{path}?endpoint={self.endpoint}&secure=false"

    def client(self) -> Minio:
        """A plain S3 client, to look at a bucket the way any other tool would."""
        return Minio(
            self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False
        )

    def environment(self) -> dict[str, str]:
        """The variables through which the S3 store finds these credentials."""
        return {"GRAVEN_S3_ACCESS_KEY": self.access_key, "GRAVEN_S3_SECRET_KEY": self.secret_key}


@contextmanager
def running_minio(
    binary: Path, home: Path, ready_seconds: float = READY_SECONDS
) -> Iterator[MinioServer]:
    """Start ``minio server`` with its data in ``home``, wait until it serves, stop it after."""
    address, console = f"127.0.0.1:{free_loopback_port()}", f"127.0.0.1:{free_loopback_port()}"
    server = MinioServer(
        endpoint=address,
        access_key=secrets.token_hex(8),
        secret_key=secrets.token_hex(20),
        log=home / "minio.log",
    )
    env = os.environ | {
        "MINIO_ROOT_USER": server.access_key,
        "MINIO_ROOT_PASSWORD": server.secret_key,
        "MINIO_BROWSER": "off",
        "MINIO_UPDATE": "off",
    }
    command = [
        str(binary),
        "server",
        str(home / "data"),
        "--address",
        address,
        "--console-address",
        console,
    ]
    with server.log.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_live(process, server, ready_seconds)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_live(
    process: subprocess.Popen[bytes], server: MinioServer, ready_seconds: float
) -> None:
    """MinIO's liveness endpoint answers 200 once its object layer is up."""
    health = f"http://{server.endpoint}/minio/health/live"
    deadline = time.monotonic() + ready_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"MinIO exited with {process.returncode}:\n{log}")
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.05)
    log = server.log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"MinIO was not live within {ready_seconds} s:\n{log}")
