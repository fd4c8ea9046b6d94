"""The service layer's Cancellation, fired by gRPC when a call ends before its handler.

A long poll or a stream waits for a change; when its client hangs up, its deadline passes or
the server stops, the wait must end then, not at its own timeout (asyncio also cancels the
handler's task; the Cancellation reaches what the task does not, e.g. a claim about to be
made for an agent that is gone).
"""

from __future__ import annotations

from typing import Any

import grpc

from graven.control_plane.service.watch import Cancellation


def cancellation_of(context: grpc.aio.ServicerContext[Any, Any]) -> Cancellation:
    cancellation = Cancellation()
    # Also called when the call ends normally, which is harmless: nothing waits any more.
    # (The stubs type the callback as a class of their own, which no function matches.)
    context.add_done_callback(lambda _: cancellation.cancel())  # type: ignore[arg-type]
    return cancellation
