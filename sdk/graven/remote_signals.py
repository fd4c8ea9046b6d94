"""Remote's signal calls: the values gates wait for (``wait_for_input``) and approvals.

A signal is typed by its gate; a value is converted with that type (read from GetSignal)
unless the caller names the Python type it was made from. The control plane checks the type
again and has the last word: a refused value leaves the gate waiting.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable

from graven.errors import GravenTypeError, GravenValueError, located
from graven.literals import to_literal
from graven.remote_blobs import RemoteBlobs
from graven.remote_pages import pages
from graven.v1 import execution_pb2 as ex
from graven.v1 import identifier_pb2 as idl
from graven.v1 import literals_pb2 as lit
from graven.v1 import signal_pb2 as sig
from graven.v1 import signal_service_pb2 as ss
from graven.v1.signal_service_pb2_grpc import SignalServiceStub
from graven.v1.types_pb2 import LiteralType

ExecutionRef = idl.ExecutionIdentifier | ex.Execution


def local_user() -> str:
    """Who sets a signal when the caller does not say: the local user name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # No passwd entry and no LOGNAME/USER (a bare container): the server needs no name.
        return ""


class SignalCalls:
    """Mixed into ``Remote``, which supplies the stub, the blobs and the input conversion."""

    signal_service: SignalServiceStub
    blobs: RemoteBlobs
    # Remote's conversion of launch inputs, so a signal takes a value the way `run` does.
    _input_literal: Callable[[object, LiteralType], lit.Literal]

    def signal(self, execution: ExecutionRef, name: str) -> sig.Signal:
        request = ss.GetSignalRequest(id=_signal_id(execution, name))
        return self.signal_service.GetSignal(request).signal

    def signals(self, execution: ExecutionRef) -> list[sig.Signal]:
        """The execution's signals, waiting and set, oldest first."""
        request = ss.ListSignalsRequest(execution_id=_execution_id(execution))
        return list(pages(self.signal_service.ListSignals, request, "signals"))

    def set_signal(
        self,
        execution: ExecutionRef,
        name: str,
        value: object,
        *,
        python_type: object = None,
        set_by: str | None = None,
    ) -> sig.Signal:
        """Give a waiting gate its value: a Literal as it is; with ``python_type``, the value
        of that type; otherwise a JSON value (or a string as typed on a command line, or a
        file) read with the signal's own type."""
        signal_id = _signal_id(execution, name)
        if isinstance(value, lit.Literal):
            literal = value
        elif python_type is not None:
            literal = to_literal(value, python_type, self.blobs)
        else:
            current = self.signal_service.GetSignal(ss.GetSignalRequest(id=signal_id)).signal
            try:
                literal = self._input_literal(value, current.type)
            except (GravenValueError, GravenTypeError) as error:
                raise located(f"signal {name!r}", error) from None
        return self._set(signal_id, literal, set_by)

    def approve(
        self,
        execution: ExecutionRef,
        name: str,
        approved: bool = True,
        *,
        set_by: str | None = None,
    ) -> sig.Signal:
        """Approve (or, with ``approved=False``, reject) an ``approve`` gate."""
        literal = to_literal(approved, bool)
        return self._set(_signal_id(execution, name), literal, set_by)

    def _set(
        self, signal_id: sig.SignalIdentifier, value: lit.Literal, set_by: str | None
    ) -> sig.Signal:
        request = ss.SetSignalRequest(
            id=signal_id, value=value, set_by=local_user() if set_by is None else set_by
        )
        return self.signal_service.SetSignal(request).signal


def _execution_id(execution: ExecutionRef) -> idl.ExecutionIdentifier:
    return execution.id if isinstance(execution, ex.Execution) else execution


def _signal_id(execution: ExecutionRef, name: str) -> sig.SignalIdentifier:
    return sig.SignalIdentifier(execution_id=_execution_id(execution), signal_id=name)
