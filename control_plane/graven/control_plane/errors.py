"""Domain errors raised by the service layer.

Transport adapters map each class to one status code (gRPC and Connect alike); the service
layer never mentions a transport.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a client can act on."""


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
