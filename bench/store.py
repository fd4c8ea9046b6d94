"""Writing a 1 GiB output file through each object-store backend (put_content: hashed and
stored under its content key), as a ratio of the raw write of the same file through the same
medium in the same run: a plain file copy (and fsync, as the store does) for the local store,
a plain multipart put_object with the same part size for MinIO.

Every run writes a file of its own, so no run is a content the store already holds.
`python -m bench.store [--size-mib N] [--repeat N]` runs it alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast

from bench.context import Context
from bench.figures import Figure
from bench.stats import Timing
from graven.store.base import CHUNK_SIZE
from graven.store.local import LocalStore
from graven.store.minio_process import MinioServer, running_minio
from graven.store.s3 import PART_SIZE, S3Location, S3Store

SIZE = 1 << 30
BUILT_MINIO = Path(__file__).resolve().parents[1] / ".tools" / "bin" / "minio"


class GeneratedBytes:
    """``size`` bytes made as they are read: one random block over and over, after a random
    first block that makes each stream's content its own."""

    def __init__(self, size: int, block: bytes) -> None:
        self._remaining = size
        self._offset = 0
        self._block = block
        self._first = os.urandom(len(block))

    def read(self, n: int = -1) -> bytes:
        n = self._remaining if n < 0 else min(n, self._remaining)
        block = len(self._block)
        start = self._offset % block
        source = self._first if self._offset < block else self._block
        if start + n <= block:
            data = source[start : start + n]
        else:
            data = (source[start:] + self._block * ((start + n) // block))[:n]
        self._offset += n
        self._remaining -= n
        return data


def _raw_file_write(folder: Path, stream: BinaryIO) -> None:
    with (folder / f"raw-{os.urandom(8).hex()}").open("wb") as f:
        shutil.copyfileobj(stream, f, CHUNK_SIZE)
        f.flush()
        os.fsync(f.fileno())


def _timed_pairs(
    graven: Callable[[BinaryIO], object],
    raw: Callable[[BinaryIO], object],
    size: int,
    repeat: int,
    scratch: Path,
) -> tuple[Timing, Timing]:
    """Alternate the two writes, so a slower stretch of the machine hits both alike.

    Both read the same file, as a task's File output is read: the output a worker stores."""
    block = os.urandom(CHUNK_SIZE)
    samples: dict[str, list[float]] = {"graven": [], "raw": []}
    source = scratch / "output.bin"
    for _ in range(repeat):
        with source.open("wb") as f:
            shutil.copyfileobj(cast(BinaryIO, GeneratedBytes(size, block)), f, CHUNK_SIZE)
        for label, write in (("raw", raw), ("graven", graven)):
            with source.open("rb") as stream:
                start = time.perf_counter()
                write(stream)
                samples[label].append(time.perf_counter() - start)
    source.unlink()
    return Timing(tuple(samples["graven"])), Timing(tuple(samples["raw"]))


@contextmanager
def _minio(home: Path) -> Iterator[MinioServer]:
    if not BUILT_MINIO.is_file():
        raise SystemExit(f"MinIO is not built: run `make minio` (expected {BUILT_MINIO})")
    with running_minio(BUILT_MINIO, home) as server:
        yield server


def run(size: int = SIZE, repeat: int = 3) -> list[tuple[str, Timing, Timing]]:
    """(backend, put_content timing, raw write timing) for the local store and MinIO."""
    results = []
    with tempfile.TemporaryDirectory(prefix="graven-bench-store-") as home:
        folder = Path(home)
        local = LocalStore(folder / "store")
        raw_folder = folder / "raw"
        raw_folder.mkdir()

        def raw_local(stream: BinaryIO) -> None:
            _raw_file_write(raw_folder, stream)

        results.append(("local", *_timed_pairs(local.put_content, raw_local, size, repeat, folder)))
        shutil.rmtree(folder / "store")
        shutil.rmtree(raw_folder)

        (folder / "minio").mkdir()
        with _minio(folder / "minio") as server:
            s3 = S3Store(S3Location.parse(server.url()), server.access_key, server.secret_key)
            client = server.client()
            client.make_bucket("raw")

            def raw_minio(stream: BinaryIO) -> None:
                name = f"raw-{os.urandom(8).hex()}"
                client.put_object("raw", name, stream, length=size, part_size=PART_SIZE)

            results.append(
                ("MinIO", *_timed_pairs(s3.put_content, raw_minio, size, repeat, folder))
            )
    return results


def figures(context: Context) -> Iterator[Figure]:
    for backend, graven, raw in run(repeat=context.runs(3, quick=1)):
        yield Figure(
            "store",
            f"write 1 GiB through put_content, {backend}",
            graven=graven,
            raw_ray=raw,
            target="≤ 2x the raw write",
            note="raw column: the same write without Graven, not Ray",
        )


def describe(results: list[tuple[str, Timing, Timing]], size: int = SIZE) -> Iterator[str]:
    mib = size / (1 << 20)
    for backend, graven, raw in results:
        ratio = raw.median / graven.median
        yield (
            f"  {backend:6s} put_content {graven.median:6.2f} s ({mib / graven.median:6.0f} MiB/s)"
            f"   raw {raw.median:6.2f} s ({mib / raw.median:6.0f} MiB/s)"
            f"   ratio {ratio:4.2f} (target >= 0.5)   medians of {len(graven.samples)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store")
    parser.add_argument("--size-mib", type=int, default=SIZE >> 20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib << 20
    print(f"Object store: writing {args.size_mib} MiB, Graven put_content / raw write")
    for line in describe(run(size, args.repeat), size):
        print(line)


if __name__ == "__main__":
    main()
