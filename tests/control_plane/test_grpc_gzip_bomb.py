"""A gzip-compressed gRPC request that inflates past the message cap is refused
(RESOURCE_EXHAUSTED) with bounded memory (issue 12.6, the gRPC half).

The control plane runs in a process of its own so that its memory is measured apart from the
client's, which holds the whole uncompressed request.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from graven.v1 import registry_service_pb2 as rs

CAP = 4 << 20
# 128 times the cap; zeros compress about a thousandfold, so about 0.5 MiB on the wire.
INFLATED = 512 << 20
MAX_GROWTH = 100 << 20
START_TIMEOUT_S = 60

SERVE = """
import sys
from pathlib import Path

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings

settings = Settings.for_home(Path(sys.argv[1]), grpc_port=0, max_message_bytes=int(sys.argv[2]))
with ControlPlane(settings) as plane:
    print(plane.grpc_port, flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(tmp_path / "home"), str(CAP)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port, "the control plane did not start"
        yield process, f"127.0.0.1:{port}"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=START_TIMEOUT_S)


def peak_rss(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def bearer(home: Path) -> list[tuple[str, str]]:
    """The home's admin token as call metadata, once the control plane writes one."""
    token = home / "token"
    return [("authorization", f"Bearer {token.read_text().strip()}")] if token.exists() else []


def health_bomb() -> bytes:
    return health_pb2.HealthCheckRequest(service="\0" * INFLATED).SerializeToString()


def upload_bomb() -> bytes:
    return rs.UploadBundleRequest(chunk=bytes(INFLATED)).SerializeToString()


@pytest.mark.parametrize(
    ("method", "make_message"),
    [
        # Health answers without a token: decompression is refused before any servicer.
        ("/grpc.health.v1.Health/Check", health_bomb),
        # A service method, with a token: the same.
        ("/graven.v1.RegistryService/UploadBundle", upload_bomb),
    ],
    ids=["health", "upload"],
)
def test_a_gzip_bomb_is_refused_with_bounded_memory(
    tmp_path: Path,
    served: tuple[subprocess.Popen[str], str],
    method: str,
    make_message: Callable[[], bytes],
) -> None:
    process, address = served
    message = make_message()
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT_S)
        call = channel.unary_unary(
            method, request_serializer=lambda raw: raw, response_deserializer=lambda raw: raw
        )
        before = peak_rss(process.pid)
        with pytest.raises(grpc.RpcError) as refused:
            call(
                message,
                compression=grpc.Compression.Gzip,
                metadata=bearer(tmp_path / "home"),
                timeout=START_TIMEOUT_S,
            )
        growth = peak_rss(process.pid) - before
        error = refused.value
        assert isinstance(error, grpc.Call)
        print(
            f"{method}: {len(message) >> 20} MiB inflated, refused {error.code().name} "
            f"({error.details()}); server peak RSS grew {growth / (1 << 20):.1f} MiB"
        )
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error.details()
        assert growth < MAX_GROWTH
        # The server goes on answering.
        health = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        answer = health(health_pb2.HealthCheckRequest(), timeout=START_TIMEOUT_S)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
