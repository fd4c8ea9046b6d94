"""The service layer's Cancellation for a Connect call, fired when its client hangs up.

A watch holds a worker thread while it waits for a change; connectrpc notices a client that
went away only when the next message is sent, which for a quiet execution may be never. So
the HTTP app (cancel_on_disconnect) gives every request a Cancellation and fires it on the
ASGI disconnect message, and on server stop; a streaming method takes it with
request_cancellation().
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graven.control_plane.service.watch import Cancellation

_REQUEST_CANCELLATION: ContextVar[Cancellation | None] = ContextVar(
    "request_cancellation", default=None
)


def request_cancellation() -> Cancellation:
    """The running request's Cancellation; a fresh one outside cancel_on_disconnect (which
    the caller must then fire itself when it is done)."""
    return _REQUEST_CANCELLATION.get() or Cancellation()


class CancelOnDisconnect:
    """ASGI middleware: each HTTP request gets a Cancellation, fired when the client
    disconnects, when the request ends, or when cancel_all() is called (server stop)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._open: set[Cancellation] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        cancellation = Cancellation()

        async def watched_receive() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                cancellation.cancel()
            return message

        self._open.add(cancellation)
        token = _REQUEST_CANCELLATION.set(cancellation)
        try:
            await self._app(scope, watched_receive, send)
        finally:
            _REQUEST_CANCELLATION.reset(token)
            self._open.discard(cancellation)
            cancellation.cancel()

    def cancel_all(self) -> None:
        """Safe from any thread: ends every wait of every open request."""
        for cancellation in list(self._open):
            cancellation.cancel()
