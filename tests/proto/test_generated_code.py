"""The committed generated code is exactly what `make proto` would write today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROTO = Path(__file__).resolve().parents[2] / "proto"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def generated_files(root: Path) -> dict[str, bytes]:
    package = root / "graven" / "v1"
    return {
        p.name: p.read_bytes()
        for p in sorted(package.iterdir())
        if p.name.endswith(GENERATED_SUFFIXES)
    }


def test_generated_code_is_not_stale(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(PROTO / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        env={"PATH": str(Path(sys.executable).parent)},
    )
    fresh = generated_files(tmp_path)
    committed = generated_files(PROTO)
    assert fresh, "generation produced nothing"
    assert sorted(fresh) == sorted(committed), "run `make proto`: the set of files differs"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"run `make proto`: stale generated files {stale}"


def test_every_proto_has_generated_code() -> None:
    protos = {p.stem for p in (PROTO / "graven" / "v1").glob("*.proto")}
    assert protos == {
        name.removesuffix("_pb2.py") for name in generated_files(PROTO) if name.endswith("_pb2.py")
    }
