"""The service layer's Cancellation, fired by gRPC when a call ends before its handler.

A long-poll or a stream holds a worker thread while it waits; when its client hangs up,
its deadline passes or the server stops, the wait must end then, not at its own timeout.
"""

from __future__ import annotations

import grpc

from graven.control_plane.service.watch import Cancellation


def cancellation_of(context: grpc.ServicerContext) -> Cancellation:
    cancellation = Cancellation()
    # Also called when the call ends normally, which is harmless: nothing waits any more.
    if not context.add_callback(cancellation.cancel):
        cancellation.cancel()
    return cancellation
