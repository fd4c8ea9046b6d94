"""Streams for the store tests: bytes made on the fly, so a large object is never in memory
whole, with the hash of what was produced to check the store against."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Callable

from graven.store.s3 import PART_SIZE

BACKENDS = ["file", "s3"]

# A streaming write holds a few parts at most: the S3 client uploads three at once and may
# hold each twice (the part read, and its copy on the way out), which measured 48 MiB at
# the peak, so the bound leaves two parts of slack. A large object is well beyond it, so
# holding it whole would show.
MEMORY_BOUND = 8 * PART_SIZE
LARGE = MEMORY_BOUND + (64 << 20)


class GeneratedStream:
    """``size`` random bytes, produced as they are read."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        n = self.remaining if n < 0 else min(n, self.remaining)
        data = os.urandom(n)
        self.remaining -= n
        self.sha256.update(data)
        return data


def peak_memory(fn: Callable[[], object]) -> int:
    """The most memory Python allocated at once while ``fn`` ran."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
