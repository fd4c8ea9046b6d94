"""Errors over Connect: the codes come from the gRPC adapter's table (grpc_errors), so a
browser and a gRPC client get the same code for the same mistake."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from connectrpc.code import Code
from connectrpc.codec import Codec, proto_binary_codec, proto_json_codec
from connectrpc.errors import ConnectError

from graven.control_plane import errors
from graven.control_plane.transport.grpc_errors import status_of

log = logging.getLogger(__name__)

M = TypeVar("M")


def connect_error(error: Exception, call: str) -> ConnectError:
    """The Connect error a client sees for ``error``, raised by the service layer in ``call``.

    A bug is INTERNAL with the traceback in the server log, never in the client's message.
    """
    if isinstance(error, ConnectError):
        return error
    if isinstance(error, errors.ServiceError):
        # Connect's codes are gRPC's, lower-cased; the name maps one to the other.
        return ConnectError(Code[status_of(error).name], str(error))
    log.error("%s failed", call, exc_info=error)
    return ConnectError(Code.INTERNAL, "internal error; see the server log")


class CheckedCodec:
    """A codec whose undecodable request is INVALID_ARGUMENT: connectrpc would answer UNKNOWN
    for a malformed body or a misspelled JSON field, which is the client's mistake."""

    def __init__(self, codec: Codec[Any, Any]) -> None:
        self._codec = codec

    def name(self) -> str:
        return self._codec.name()

    def encode(self, message: object) -> bytes:
        encoded: bytes = self._codec.encode(message)
        return encoded

    def decode(self, data: bytes | bytearray, message: M) -> M:
        try:
            decoded: M = self._codec.decode(data, message)
        except Exception as error:
            raise ConnectError(Code.INVALID_ARGUMENT, f"request: {error}") from None
        return decoded


CODECS: list[Codec[Any, Any]] = [
    CheckedCodec(proto_binary_codec()),
    CheckedCodec(proto_json_codec()),
]
