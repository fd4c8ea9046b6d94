"""Signal values for gates in a local run: ``with graven.local_signals(...): wf(...)``.

A workflow called as plain Python has no SignalService to wait on, so its ``wait_for_input``
and ``approve`` gates read their values from here (approvals: True approves, False rejects).
Nested blocks add to (and override) the values of the blocks around them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

_values: ContextVar[Mapping[str, object] | None] = ContextVar("graven_local_signals", default=None)


@contextmanager
def local_signals(values: Mapping[str, object] | None = None, /, **more: object) -> Iterator[None]:
    """Give signals by name: ``local_signals(publish=True)``, or a mapping for names that are
    not Python identifiers: ``local_signals({"go-live": True})``."""
    merged = {**(_values.get() or {}), **(values or {}), **more}
    token = _values.set(merged)
    try:
        yield
    finally:
        _values.reset(token)


def local_signal(name: str) -> tuple[bool, object]:
    """Whether the signal ``name`` was given locally, and its value."""
    values = _values.get()
    if values is None or name not in values:
        return False, None
    return True, values[name]
