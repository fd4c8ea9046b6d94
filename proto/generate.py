"""Regenerate the committed code from proto/graven/v1/*.proto: Python (messages, .pyi, gRPC
and Connect stubs) beside the protos, TypeScript for the console in console/src/gen.

Usage: python proto/generate.py [--out DIR] [--ts-out DIR]

With --out the code is written elsewhere (TypeScript in DIR/ts unless --ts-out says where),
which is how the test suite checks that the committed code is not stale. The TypeScript
plugin (@bufbuild/protoc-gen-es, run by node) comes from the console's node_modules
(`make console-deps`), so it is pinned with the runtime the console bundles.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent
PACKAGE_DIR = PROTO_ROOT / "graven" / "v1"
CONSOLE = PROTO_ROOT.parent / "console"
TS_OUT = CONSOLE / "src" / "gen"
PROTOC_GEN_ES = CONSOLE / "node_modules" / ".bin" / "protoc-gen-es"


def generate(out: Path, ts_out: Path) -> None:
    if not PROTOC_GEN_ES.exists():
        raise SystemExit(f"{PROTOC_GEN_ES} is missing: run `make console-deps` first")
    out.mkdir(parents=True, exist_ok=True)
    ts_out.parent.mkdir(parents=True, exist_ok=True)
    # The TypeScript tree holds only generated files: it is written afresh beside the old one
    # and swapped in once protoc succeeded, so a removed proto leaves nothing behind and a
    # failed run leaves the committed tree as it was.
    fresh = Path(tempfile.mkdtemp(prefix=".generating-", dir=ts_out.parent))
    try:
        _protoc(out, fresh)
    except BaseException:
        shutil.rmtree(fresh)
        raise
    shutil.rmtree(ts_out, ignore_errors=True)
    fresh.rename(ts_out)


def _protoc(out: Path, ts_out: Path) -> None:
    include = Path(protoc.__file__).parent / "_proto"
    sources = sorted(str(p.relative_to(PROTO_ROOT)) for p in PACKAGE_DIR.glob("*.proto"))
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        f"--mypy_grpc_out={out}",
        f"--connectrpc_out={out}",
        f"--plugin=protoc-gen-es={PROTOC_GEN_ES}",
        f"--es_out={ts_out}",
        "--es_opt=target=ts",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROTO_ROOT)
    parser.add_argument("--ts-out", type=Path)
    args = parser.parse_args()
    generate(args.out, args.ts_out or (TS_OUT if args.out == PROTO_ROOT else args.out / "ts"))


if __name__ == "__main__":
    sys.exit(main())
