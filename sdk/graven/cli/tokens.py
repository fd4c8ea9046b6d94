"""`graven tokens`: bearer tokens for people, scripts and agents (admin only)."""

from __future__ import annotations

from typing import Annotated

import typer

from graven.cli.options import Endpoint, Json
from graven.cli.output import console, print_json, table, to_dict, when
from graven.remote import Remote
from graven.remote_tokens import ROLES
from graven.timeformats import nanos_to_timedelta, parse_duration_nanos
from graven.v1 import token_service_pb2 as tk

tokens_app = typer.Typer(
    help="Bearer tokens: who may call the control plane, as what, in which projects.",
    no_args_is_help=True,
)
ANY = "*"


def install(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")
    tokens_app.command()(create)
    tokens_app.command("list")(list_tokens)
    tokens_app.command()(revoke)


def create(
    name: Annotated[str, typer.Argument(help="Unique: letters, digits, '.', '_', '-'.")],
    role: Annotated[
        str, typer.Option(help=f"One of {', '.join(ROLES)}; each includes the ones before.")
    ],
    project: Annotated[
        list[str],
        typer.Option("--project", "-p", help="A project it applies to ('*': all); repeatable."),
    ],
    domain: Annotated[
        str, typer.Option("--domain", "-d", help="The domain in those projects ('*': all).")
    ] = ANY,
    expires: Annotated[
        str, typer.Option(help="Valid this long (30d, 12h…); default: until revoked.")
    ] = "",
    agent: Annotated[
        bool, typer.Option("--agent", help="An agent token: AgentService only.")
    ] = False,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Create a token and print its secret, once: the control plane keeps only its hash."""
    expires_in = None
    if expires:
        nanos = parse_duration_nanos(expires)
        if nanos <= 0:
            raise ValueError(f"--expires {expires!r} must be positive")
        try:
            expires_in = nanos_to_timedelta(nanos)
        except OverflowError:
            raise ValueError(f"--expires {expires!r} is longer than any token can live") from None
    with Remote(endpoint or None) as remote:
        created = remote.create_token(
            name, role, [(p, domain) for p in project], agent=agent, expires_in=expires_in
        )
    if json:
        print_json({"token": to_dict(created.token), "secret": created.secret})
        return
    console.print(f"Created token {name} ({_describe(created.token)}). Its secret, shown once:")
    console.print(created.secret, highlight=False, markup=False, soft_wrap=True)


def list_tokens(
    revoked: Annotated[bool, typer.Option("--revoked", help="Revoked tokens too.")] = False,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """List tokens, newest first (never their secrets)."""
    with Remote(endpoint or None) as remote:
        tokens = list(remote.tokens(include_revoked=revoked))
    if json:
        print_json(tokens)
        return
    table(
        "Tokens",
        ["NAME", "KIND", "ROLE", "SCOPES", "CREATED", "EXPIRES", "REVOKED"],
        (
            [
                t.name,
                _kind(t),
                _role(t),
                _scopes(t),
                when(t.created_at),
                when(t.expires_at),
                when(t.revoked_at),
            ]
            for t in tokens
        ),
    )


def revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")],
    endpoint: Endpoint = "",
) -> None:
    """Revoke a token: it stops working at once."""
    with Remote(endpoint or None) as remote:
        token = remote.revoke_token(name)
    console.print(f"Revoked token {token.name} at {when(token.revoked_at)}.", markup=False)


def _kind(token: tk.Token) -> str:
    return "agent" if token.kind == tk.TOKEN_KIND_AGENT else "user"


def _role(token: tk.Token) -> str:
    return {number: name for name, number in ROLES.items()}.get(token.role, "?")


def _scopes(token: tk.Token) -> str:
    return ", ".join(f"{s.project}/{s.domain}" for s in token.scopes)


def _describe(token: tk.Token) -> str:
    return f"{_kind(token)}, {_role(token)} in {_scopes(token)}"
