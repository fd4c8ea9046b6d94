"""Domain errors raised by the service layer.

Transport adapters map each class to one status code (gRPC and Connect alike); the service
layer never mentions a transport.
"""

from __future__ import annotations

# The most UTF-8 bytes of a message an error carries to a client (the status details then
# stay under 1 KiB). Echoed values are cut by graven.shown.shown() already; this bounds what
# is left (a field path built from a huge request key, a list of problems), so a refusal
# never grows with the request that caused it.
MAX_MESSAGE_BYTES = 960


class ServiceError(Exception):
    """Base of every error a client can act on."""

    def __init__(self, message: str = "") -> None:
        data = message.encode("utf-8", "surrogatepass")
        if len(data) > MAX_MESSAGE_BYTES:
            # Cut a little earlier, so the note fits too; a character cut in two is dropped.
            kept = data[: MAX_MESSAGE_BYTES - 32].decode("utf-8", "ignore")
            message = f"{kept}... ({len(data) - len(kept.encode())} more bytes)"
        super().__init__(message)


class InvalidArgument(ServiceError):
    """The request is malformed; ``field`` names the offending field path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFound(ServiceError):
    pass


class AlreadyExists(ServiceError):
    pass


class FailedPrecondition(ServiceError):
    pass


class ResourceExhausted(ServiceError):
    pass


class DataLoss(ServiceError):
    """Stored bytes that do not hash to their key: corrupt, so never served as the content."""
