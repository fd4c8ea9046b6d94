"""The ``graven`` command.

``main`` is the console script: it turns every error a user can cause (bad input, a refused
request, an unreachable server) into one readable line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sys

import grpc
import typer

from graven.cli import (
    admin,
    backfill,
    cache,
    executions,
    launchplans,
    lineage,
    registry,
    server,
    signals,
    tokens,
)
from graven.cli.credentials import credentials
from graven.cli.output import fail
from graven.errors import GravenError
from graven.store import StoreError

app = typer.Typer(
    name="graven",
    help="Immutable, versioned, content-addressed workflows on Ray.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
server.install(app)
registry.install(app)
executions.install(app)
signals.install(app)
lineage.install(app)
cache.install(app)
admin.install(app)
tokens.install(app)
launchplans.install(app)
backfill.install(app)
app.callback()(credentials)

UNREACHABLE = (
    "cannot reach the control plane (is `graven up` running? set --endpoint or GRAVEN_ENDPOINT): "
)


def main() -> None:
    try:
        app()
    except grpc.RpcError as e:
        if os.environ.get("GRAVEN_DEBUG"):
            raise
        code: grpc.StatusCode = e.code()
        details: str = e.details() or ""
        prefix = UNREACHABLE if code == grpc.StatusCode.UNAVAILABLE else f"{code.name}: "
        fail(prefix + details)
        sys.exit(1)
    except (GravenError, StoreError, ValueError, OSError) as e:
        # User errors: a bad path, a bad value, a project that does not import. GRAVEN_DEBUG=1
        # shows the traceback for the rare case where the fault is Graven's.
        if os.environ.get("GRAVEN_DEBUG"):
            raise
        fail(str(e))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
