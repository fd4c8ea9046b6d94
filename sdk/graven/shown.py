"""Values echoed into error messages, cut short.

A request may carry a multi-megabyte name or key; the error that refuses it names the value
so a person can find it, but sending it back whole would make the refusal as large as the
request (and a log line of megabytes). Every echoed value goes through shown().
"""

from __future__ import annotations

# Characters of a value's repr kept in a message: enough to recognise any valid name.
SHOWN_CHARS = 200


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)``, cut at ``limit`` characters and followed by the value's whole size
    when longer: ``'aaaa…' ... (5000000 bytes)``."""
    text = repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, str):
        size = f"{len(value.encode('utf-8', 'surrogatepass'))} bytes"
    elif isinstance(value, bytes | bytearray | memoryview):
        size = f"{len(value)} bytes"
    else:
        size = f"{len(text)} characters"
    return f"{text[:limit]}... ({size})"
