"""The principal of the call being served, for the few services that need to know who calls
(TokenService records who created a token). Set by the transports' authentication; the
offload pools copy it to the thread that runs the service code."""

from __future__ import annotations

from contextvars import ContextVar

from graven.control_plane.auth.principals import Principal

CALLER: ContextVar[Principal | None] = ContextVar("graven_caller", default=None)


def caller_name() -> str:
    principal = CALLER.get()
    return "" if principal is None else principal.name
