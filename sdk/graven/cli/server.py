"""Commands that run Graven's servers: the embedded stack and a data-plane agent."""

from __future__ import annotations

import dataclasses
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from graven.channels import TOKEN_FILE, resolve_ca
from graven.cli.options import DEFAULT_HOME, Database, Endpoint, Home, Store
from graven.cli.output import console

Ray = Annotated[
    str | None,
    typer.Option(
        "--ray",
        envvar="GRAVEN_RAY",
        help="Ray cluster (ray://host:port or host:port); default: start a local Ray.",
    ),
]


def install(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(agent)


def up(
    home: Home = DEFAULT_HOME,
    grpc_port: Annotated[int, typer.Option(help="gRPC port (0: any free port).")] = 8089,
    http_port: Annotated[int, typer.Option(help="HTTP port of the console.")] = 8080,
    host: Annotated[
        str, typer.Option(envvar="GRAVEN_HOST", help="Address to listen on (0.0.0.0: all).")
    ] = "127.0.0.1",
    db: Database = None,
    store: Store = None,
    ray: Ray = None,
    agent: Annotated[bool, typer.Option(help="Run a data-plane agent in this process.")] = True,
    tls_cert: Annotated[
        Path | None,
        typer.Option(envvar="GRAVEN_TLS_CERT", help="PEM certificate: serve TLS only."),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(envvar="GRAVEN_TLS_KEY", help="PEM key of --tls-cert.")
    ] = None,
) -> None:
    """Run the embedded stack: control plane, agent and a local Ray, until interrupted."""
    from sqlalchemy import make_url

    from graven.control_plane.app import ControlPlane
    from graven.control_plane.config import Settings
    from graven.data_plane import ray_runtime
    from graven.data_plane.agent import Agent

    settings = dataclasses.replace(
        Settings.for_home(
            home.expanduser(),
            db_url=db,
            store_url=store,
            grpc_port=grpc_port,
            http_port=http_port,
            host=host,
        ),
        tls_cert=tls_cert,
        tls_key=tls_key,
    )
    plane = ControlPlane(settings)
    try:
        plane.start()
    except RuntimeError:
        # How grpcio reports a port it cannot bind.
        raise OSError(
            f"cannot listen on {host}:{grpc_port} (is another Graven running there?)"
        ) from None
    # The agent token of the home: the embedded agent needs no set-up.
    runner = (
        Agent(
            plane.grpc_address, ray_address=ray, token=plane.home_tokens.agent, ca=_own_ca(tls_cert)
        )
        if agent
        else None
    )

    def stop() -> None:
        if runner is not None:
            runner.stop()
        plane.stop()

    _on_signals(stop)
    console.print(f"Graven control plane on {plane.grpc_address} (gRPC)")
    browsable = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    scheme = "http" if tls_cert is None else "https"
    console.print(f"  console  {scheme}://{browsable}:{plane.http_port}")
    # As Jupyter does: a URL that signs the browser in (the console then drops the token
    # from the address); the secret is the home's own, readable only by its owner.
    login = f"{scheme}://{browsable}:{plane.http_port}/?token={plane.home_tokens.admin}"
    console.print(f"  login    {login}", highlight=False, markup=False, soft_wrap=True)
    console.print(f"  token    {settings.home / TOKEN_FILE} (the CLI and SDK read it)")
    # The URL may carry a password: never print it.
    database = make_url(settings.db_url).render_as_string(hide_password=True)
    console.print(f"  database {database}")
    console.print(f"  store    {settings.store_url}")
    if runner is not None:
        with console.status("Starting Ray…"):
            # In the main thread, where Ray can install its signal handlers.
            ray_runtime.connect(ray, token_path=settings.home / ray_runtime.TOKEN_FILE)
        thread = threading.Thread(target=runner.run, name="graven-agent", daemon=True)
        thread.start()
        with console.status("Starting the agent…"):
            while not runner.ready.wait(0.5):
                if not thread.is_alive():
                    plane.stop()
                    raise RuntimeError("the agent stopped while starting; see the log above")
        console.print(f"  agent    {runner.agent_id} on Ray {ray or '(local)'}")
    # A line scripts can wait for: the stack is serving.
    console.print("ready", highlight=False)
    plane.wait()


def agent(
    endpoint: Endpoint = "",
    ray: Ray = None,
    agent_id: Annotated[str | None, typer.Option(help="Default: host-pid-random.")] = None,
    max_executions: Annotated[int, typer.Option(help="Executions run at once.")] = 16,
) -> None:
    """Run a data-plane agent: claim executions from the control plane and run them on Ray.

    It calls with an agent token: --token, GRAVEN_TOKEN, or the agent-token file of the home
    (--home, GRAVEN_HOME); `graven tokens create NAME --agent` makes one."""
    from graven.data_plane.agent import Agent
    from graven.remote import default_endpoint

    runner = Agent(
        endpoint or default_endpoint(),
        ray_address=ray,
        agent_id=agent_id,
        max_executions=max_executions,
    )
    _on_signals(runner.stop)
    console.print(f"Graven agent {runner.agent_id} → {runner.endpoint}, Ray {ray or '(local)'}")
    runner.run()


def _own_ca(tls_cert: Path | None) -> Path | None:
    """What the embedded agent verifies its control plane's certificate with: GRAVEN_CA,
    else the certificate itself (self-signed)."""
    if tls_cert is None:
        return None
    return resolve_ca() or tls_cert


def _on_signals(stop: Callable[[], None]) -> None:
    def handler(_signum: int, _frame: object) -> None:
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
