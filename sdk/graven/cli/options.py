"""Options shared by many commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graven.remote import DEFAULT_ENDPOINT

Endpoint = Annotated[
    str,
    typer.Option(
        "--endpoint",
        envvar="GRAVEN_ENDPOINT",
        help="The control plane's gRPC address.",
        show_default=DEFAULT_ENDPOINT,
    ),
]
Project = Annotated[str, typer.Option("--project", "-p", envvar="GRAVEN_PROJECT")]
Domain = Annotated[str, typer.Option("--domain", "-d", envvar="GRAVEN_DOMAIN")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

DEFAULT_PROJECT = "default"
DEFAULT_DOMAIN = "development"

# Where the embedded stack keeps its state: `graven up` serves it, `graven admin` repairs it.
Home = Annotated[
    Path, typer.Option(envvar="GRAVEN_HOME", help="Where the database and store live.")
]
Database = Annotated[
    str | None, typer.Option(envvar="GRAVEN_DB", help="Database URL (default: SQLite in HOME).")
]
Store = Annotated[
    str | None,
    typer.Option(envvar="GRAVEN_STORE", help="Object store URL (default: a folder in HOME)."),
]
DEFAULT_HOME = Path("~/.graven")
