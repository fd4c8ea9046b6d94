"""The embedded Ray is closed (issue 12.3): its servers listen on loopback only, none is
reachable on the machine's other addresses, and the GCS refuses a caller without the token
kept in a private file; the token itself is on no command line.

The session's Ray (conftest.ray_address) is started by the same ray_runtime.connect as
`graven up`'s, which one test starts for real to check the home's token file and its Ray.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import ray
from dp_support import wait_until
from hypothesis import given
from hypothesis import strategies as st
from listening_support import Listener, command_line, descendants, listeners, outward_addresses

from graven.data_plane import ray_runtime
from graven.ports import free_loopback_port
from graven.private_files import PRIVATE_FILE_MODE

REPO = Path(__file__).resolve().parents[2]
RAY_PACKAGE = str(Path(ray.__file__).parent)
# Any GCS rpc does: Ray checks the token before it reads the request.
GCS_METHOD = "/ray.rpc.NodeInfoGcsService/GetClusterId"
# A driver retries the GCS about once a second for this long before it gives up.
DRIVER_PATIENCE_SECONDS = 3
DRIVER_SCRIPT = """
import sys, ray
ray.init(address=sys.argv[1], log_to_driver=False, logging_level="ERROR")
print("joined", int(ray.cluster_resources()["CPU"]))
"""
UP_READY_SECONDS = 120.0


def ray_processes(root: int) -> list[int]:
    """``root`` (a driver holds a server of its own) and Ray's processes below it: the GCS,
    the raylet, Ray's Python services and the workers."""
    found = [root]
    for pid in descendants(root)[1:]:
        line = command_line(pid)
        program = Path(line.split(" ", 1)[0]).name
        if program in ("gcs_server", "raylet") or line.startswith("ray::") or RAY_PACKAGE in line:
            found.append(pid)
    return found


def ray_listeners(root: int) -> list[Listener]:
    found = listeners(ray_processes(root))
    programs = {Path(listener.program).name for listener in found}
    # Without these the check below would pass on a Ray it failed to find.
    assert {"gcs_server", "raylet"} <= programs, found
    return found


def assert_closed(root: int, gcs_address: str) -> None:
    found = ray_listeners(root)
    open_wide = [listener for listener in found if not listener.loopback_only]
    assert open_wide == []
    host, _, port = gcs_address.rpartition(":")
    assert host == ray_runtime.LOOPBACK
    assert int(port) in {
        listener.port for listener in found if listener.program.endswith("gcs_server")
    }
    for address in outward_addresses():
        for listener in found:
            if listener.protocol.startswith("tcp"):
                with pytest.raises(ConnectionRefusedError):
                    socket.create_connection((address, listener.port), timeout=5).close()


def gcs_call(address: str, token: str | None) -> grpc.StatusCode:
    metadata = (("authorization", f"Bearer {token}"),) if token is not None else ()
    with grpc.insecure_channel(address) as channel:
        call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(GCS_METHOD)
        try:
            call(b"", metadata=metadata, timeout=10)
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()
            return code
    return grpc.StatusCode.OK


def join_as_driver(address: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", DRIVER_SCRIPT, address],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "RAY_gcs_server_port_wait_time_s": str(DRIVER_PATIENCE_SECONDS),
            **environment,
        },
    )


def test_the_session_ray_listens_on_loopback_only(ray_address: str) -> None:
    assert_closed(os.getpid(), ray_address)


def test_the_gcs_refuses_a_caller_without_the_token(ray_address: str, ray_token_path: Path) -> None:
    token = ray_token_path.read_text().strip()
    assert gcs_call(ray_address, None) == grpc.StatusCode.UNAUTHENTICATED
    assert gcs_call(ray_address, "0" * len(token)) == grpc.StatusCode.UNAUTHENTICATED
    assert gcs_call(ray_address, token) == grpc.StatusCode.OK


def test_a_driver_joins_with_the_token_only(
    ray_address: str, ray_token_path: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong-token"
    wrong.write_text("f" * 64)
    refused = join_as_driver(ray_address, RAY_AUTH_TOKEN_PATH=str(wrong))
    assert refused.returncode != 0
    assert "Authentication token is missing or incorrect" in refused.stderr
    unauthenticated = join_as_driver(ray_address, RAY_AUTH_MODE="disabled")
    assert unauthenticated.returncode != 0
    # What an agent started from here inherits is enough.
    assert os.environ[ray_runtime.TOKEN_PATH_VARIABLE] == str(ray_token_path)
    joined = join_as_driver(ray_address)
    assert joined.returncode == 0, joined.stderr
    assert joined.stdout.split()[-2:] == ["joined", "2"]


def test_the_token_reaches_workers_by_path_and_no_command_line(
    ray_address: str, ray_token_path: Path
) -> None:
    @ray.remote
    def auth_environment() -> dict[str, str | None]:
        names = (
            ray_runtime.AUTH_MODE_VARIABLE,
            ray_runtime.TOKEN_PATH_VARIABLE,
            ray_runtime.TOKEN_VARIABLE,
        )
        return {name: os.environ.get(name) for name in names}

    assert ray.get(auth_environment.remote()) == {
        ray_runtime.AUTH_MODE_VARIABLE: "token",
        ray_runtime.TOKEN_PATH_VARIABLE: str(ray_token_path),
        ray_runtime.TOKEN_VARIABLE: None,
    }
    token = ray_token_path.read_text().strip()
    lines = [command_line(pid) for pid in ray_processes(os.getpid())]
    assert len(lines) > 2
    assert not [line for line in lines if token in line]
    assert stat.S_IMODE(ray_token_path.stat().st_mode) == PRIVATE_FILE_MODE


@pytest.fixture
def graven_up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`graven up` with its own home and its embedded Ray, once it printed "ready"."""
    home = tmp_path / "home"
    log = tmp_path / "up.log"
    ports = ["--grpc-port", str(free_loopback_port()), "--http-port", str(free_loopback_port())]
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "graven.cli", "up", "--home", str(home), *ports],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            # Not the session Ray's: `graven up` makes its own token in its home.
            env={k: v for k, v in os.environ.items() if not k.startswith("RAY_")},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + UP_READY_SECONDS
        while "ready" not in log.read_text().splitlines():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield process, home
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_graven_up_closes_its_ray_with_a_token_in_its_home(
    graven_up: tuple[subprocess.Popen[bytes], Path],
) -> None:
    process, home = graven_up
    token_file = home / ray_runtime.TOKEN_FILE
    assert stat.S_IMODE(token_file.stat().st_mode) == PRIVATE_FILE_MODE
    token = token_file.read_text().strip()
    # The GCS is the Ray process `graven up` started first; its port is on its command line.
    wait_until(
        lambda: any(p.program.endswith("gcs_server") for p in listeners(ray_processes(process.pid)))
    )
    gcs = next(p for p in ray_listeners(process.pid) if p.program.endswith("gcs_server"))
    address = f"{ray_runtime.LOOPBACK}:{gcs.port}"
    assert_closed(process.pid, address)
    assert gcs_call(address, None) == grpc.StatusCode.UNAUTHENTICATED
    assert gcs_call(address, token) == grpc.StatusCode.OK
    assert not [pid for pid in ray_processes(process.pid) if token in command_line(pid)]


@given(
    content=st.one_of(st.binary(max_size=80), st.just(b"a" * 64), st.just(b" %s\n" % (b"~" * 40))),
    mode=st.sampled_from([0o600, 0o400, 0o640, 0o644, 0o666]),
)
def test_a_token_file_is_trusted_only_when_private_and_well_formed(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, mode: int
) -> None:
    path = tmp_path_factory.mktemp("home") / ray_runtime.TOKEN_FILE
    path.write_bytes(content)
    path.chmod(mode)
    assert ray_runtime.ensure_token(path) == path
    kept = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    assert ray_runtime.TOKEN_PATTERN.fullmatch(kept.strip())
    trusted = mode & 0o077 == 0 and ray_runtime.TOKEN_PATTERN.fullmatch(content.strip())
    assert (kept == content) == bool(trusted)
    assert ray_runtime.ensure_token(path) == path
    assert path.read_bytes() == kept


def test_a_new_token_is_private_random_and_replaces_a_planted_symlink(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = ray_runtime.ensure_token(home / ray_runtime.TOKEN_FILE)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.stat().st_mode) == PRIVATE_FILE_MODE
    other = ray_runtime.ensure_token(tmp_path / "other" / ray_runtime.TOKEN_FILE)
    assert first.read_text() != other.read_text()
    planted = tmp_path / "planted" / ray_runtime.TOKEN_FILE
    planted.parent.mkdir()
    planted.symlink_to(first)
    assert ray_runtime.ensure_token(planted) == planted
    assert not planted.is_symlink()
    assert planted.read_text() != first.read_text()
    assert sorted(p.name for p in planted.parent.iterdir()) == [ray_runtime.TOKEN_FILE]
