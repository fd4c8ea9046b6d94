"""The options every command shares before its name: which token it calls with."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from graven.channels import CA_ENV, HOME_ENV, TOKEN_ENV


def credentials(
    token: Annotated[
        str | None,
        typer.Option(
            envvar=TOKEN_ENV,
            help="Bearer token (default: the token file of the home, HOME/token).",
            show_default=False,
        ),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            envvar=HOME_ENV,
            help="The home whose token file is read (default ~/.graven).",
            show_default=False,
        ),
    ] = None,
    ca: Annotated[
        Path | None,
        typer.Option(
            envvar=CA_ENV,
            help="CA certificate (PEM) of a control plane serving TLS.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Immutable, versioned, content-addressed workflows on Ray."""
    # Every client of this process (graven.channels) reads them, in the documented order:
    # --token, GRAVEN_TOKEN, then the token file of --home, GRAVEN_HOME or ~/.graven; and
    # --ca, GRAVEN_CA for TLS.
    if token:
        os.environ[TOKEN_ENV] = token
    if home:
        os.environ[HOME_ENV] = str(home)
    if ca:
        os.environ[CA_ENV] = str(ca)
