"""What every bench module is handed: the running stack, the Ray cluster beside it, and how
much the run may take.

A bench module (bench/<name>.py, listed in bench/__main__.py) provides
``figures(context: Context) -> Iterator[Figure]``. It uses ``context.stack`` (a control plane on
SQLite with an agent on ``context.ray_address``, shared by every module) or starts what it
needs with bench.embedded, and reads ``context.runs(n)`` for how many timed runs to make.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.embedded import Stack
from bench.shapes import Shape

# A quick suite times each figure at most this often.
QUICK_RUNS = 3


@dataclass(frozen=True)
class Context:
    stack: Stack
    # The Ray cluster the stack's agent runs on; this process is connected to it too.
    ray_address: str
    quick: bool
    # Every figure's number of timed runs, when the user set one.
    repeat: int | None
    shapes: tuple[Shape, ...]

    def runs(self, full: int, quick: int = QUICK_RUNS) -> int:
        """Timed runs for a figure that a full suite times ``full`` times (a quick one at
        most ``quick`` times)."""
        if self.repeat is not None:
            return self.repeat
        return min(full, quick) if self.quick else full
