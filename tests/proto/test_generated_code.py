"""The committed generated code is exactly what `make proto` would write today: Python beside
the protos, TypeScript in console/src/gen."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from service_support import missing_service

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / "proto"
CONSOLE_GEN = REPO / "console" / "src" / "gen"
PROTOC_GEN_ES = REPO / "console" / "node_modules" / ".bin" / "protoc-gen-es"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi", "_connect.py")


def generated_files(root: Path) -> dict[str, bytes]:
    package = root / "graven" / "v1"
    return {
        p.name: p.read_bytes()
        for p in sorted(package.iterdir())
        if p.name.endswith(GENERATED_SUFFIXES)
    }


def typescript_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.ts"))}


def test_generated_code_is_not_stale(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not PROTOC_GEN_ES.exists():
        missing_service("node and the console's node_modules are needed: `make console-deps`")
    subprocess.run(
        [sys.executable, str(PROTO / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        # The plugins only: protoc-gen-connectrpc beside Python, node for protoc-gen-es.
        env={"PATH": f"{Path(sys.executable).parent}:{Path(node).parent}"},
    )
    fresh = generated_files(tmp_path)
    committed = generated_files(PROTO)
    assert fresh, "generation produced nothing"
    assert sorted(fresh) == sorted(committed), "run `make proto`: the set of files differs"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"run `make proto`: stale generated files {stale}"
    fresh_ts = typescript_files(tmp_path / "ts")
    committed_ts = typescript_files(CONSOLE_GEN)
    assert fresh_ts, "generation produced no TypeScript"
    assert sorted(fresh_ts) == sorted(committed_ts), "run `make proto`: the TypeScript differs"
    stale = [name for name in fresh_ts if fresh_ts[name] != committed_ts[name]]
    assert not stale, f"run `make proto`: stale TypeScript {stale}"


def test_every_proto_has_generated_code() -> None:
    protos = {p.stem for p in (PROTO / "graven" / "v1").glob("*.proto")}
    assert protos == {
        name.removesuffix("_pb2.py") for name in generated_files(PROTO) if name.endswith("_pb2.py")
    }
    assert protos == {p.name.removesuffix("_pb.ts") for p in CONSOLE_GEN.rglob("*_pb.ts")}
