"""Commands that run Graven's servers."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from graven.cli.output import console


def install(app: typer.Typer) -> None:
    app.command()(up)


def up(
    home: Annotated[
        Path, typer.Option(envvar="GRAVEN_HOME", help="Where the database and store live.")
    ] = Path("~/.graven"),
    grpc_port: Annotated[int, typer.Option(help="gRPC port (0: any free port).")] = 8089,
    http_port: Annotated[int, typer.Option(help="HTTP port of the console.")] = 8080,
    db: Annotated[
        str | None, typer.Option(envvar="GRAVEN_DB", help="Database URL (default: SQLite in HOME).")
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(envvar="GRAVEN_STORE", help="Object store URL (default: a folder in HOME)."),
    ] = None,
) -> None:
    """Run the embedded stack: the control plane on loopback, until interrupted."""
    from graven.control_plane.app import ControlPlane
    from graven.control_plane.config import Settings

    settings = Settings.for_home(
        home.expanduser(), db_url=db, store_url=store, grpc_port=grpc_port, http_port=http_port
    )
    plane = ControlPlane(settings)
    plane.start()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        plane.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    console.print(f"Graven control plane on 127.0.0.1:{plane.grpc_port} (gRPC)")
    console.print(f"  database {settings.db_url}")
    console.print(f"  store    {settings.store_url}")
    # A line scripts can wait for: the stack is serving.
    console.print("ready", highlight=False)
    plane.wait()
