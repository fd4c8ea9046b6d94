"""The compose stack against the code it runs.

No Docker engine runs here, so nothing is built or started. Instead every command a service
runs is checked against the real command-line interfaces (Graven's Typer app, Ray's Click
app), every GRAVEN_* variable against what Graven reads, and the wiring between services
(dependencies, volumes, addresses) against the services the file defines. The control
plane's health check is run for real against a control plane on loopback.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import socket
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import typer
import yaml
from ray.scripts.scripts import cli as ray_cli
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

import graven
from graven.cli.main import app
from graven.control_plane.app import ControlPlane
from graven.store.s3 import S3Location

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
GRAVEN = typer.main.get_command(app)
SHELL_OPERATORS = {"&&", "||", ";", "|", "&"}
HEALTH_ADDRESS = "localhost:8089"
RAY_TOKEN_PATH = "/var/lib/ray-auth/token"
RAY_TOKEN_FOLDER = str(Path(RAY_TOKEN_PATH).parent)


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def dockerfile_entrypoint() -> list[str]:
    lines = dockerfile().splitlines()
    entrypoints = [line.split(None, 1)[1] for line in lines if line.startswith("ENTRYPOINT ")]
    assert entrypoints, "the Dockerfile has no ENTRYPOINT"
    entrypoint: list[str] = json.loads(entrypoints[-1])
    return entrypoint


def words(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else list(value)


def argv(service: dict[str, Any]) -> list[str]:
    """What the container runs: its entrypoint (the image's unless overridden) + command."""
    entrypoint = words(service["entrypoint"]) if "entrypoint" in service else None
    if entrypoint is None and "build" in service:
        entrypoint = dockerfile_entrypoint()
    return (entrypoint or []) + words(service.get("command"))


def invocations(service: dict[str, Any], program: str) -> Iterator[list[str]]:
    """Every run of ``program`` in the service's command, arguments only; a ``sh -c`` script
    is split at its operators, so each command in it is seen on its own."""
    args = argv(service)
    if args[:2] in (["/bin/sh", "-c"], ["sh", "-c"]):
        lexer = shlex.shlex(args[2], posix=True, punctuation_chars=True)
        segment: list[str] = []
        for token in [*lexer, ";"]:
            if token not in SHELL_OPERATORS:
                segment.append(token)
                continue
            if segment[:1] == ["exec"]:
                segment = segment[1:]
            if segment[:1] == [program]:
                yield segment[1:]
            segment = []
    elif args and Path(args[0]).name == program:
        yield args[1:]


def services_running(program: str) -> dict[str, list[list[str]]]:
    found = {name: list(invocations(service, program)) for name, service in SERVICES.items()}
    return {name: runs for name, runs in found.items() if runs}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def check_options(group: click.Group, args: list[str], where: str) -> None:
    """The subcommand exists and takes every --option passed to it."""
    assert args, f"{where}: no subcommand"
    command = group.commands.get(args[0])
    assert command is not None, f"{where}: {group.name} has no command {args[0]!r}"
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for arg in args[1:]:
        if arg.startswith("--"):
            option = arg.split("=", 1)[0]
            assert option in known, f"{where}: `{args[0]}` has no option {option}"


def commands(group: click.Group) -> Iterator[click.Command]:
    for command in group.commands.values():
        yield command
        if isinstance(command, click.Group):
            yield from commands(command)


def graven_variables() -> set[str]:
    """Every GRAVEN_* variable Graven reads: the CLI options' envvars, and the names the code
    looks up itself (string constants that are a whole variable name)."""
    names = {
        envvar
        for command in commands(GRAVEN)
        for param in command.params
        if isinstance(param, click.Option) and param.envvar
        for envvar in ([param.envvar] if isinstance(param.envvar, str) else param.envvar)
    }
    for folder in graven.__path__:
        for path in Path(folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and node.value.startswith("GRAVEN_")
                    and node.value.replace("_", "").isalnum()
                    and node.value.isupper()
                ):
                    names.add(node.value)
    return names


def host(address: str) -> str:
    return address.rpartition(":")[0]


def test_the_image_runs_the_graven_console_script() -> None:
    assert dockerfile_entrypoint() == ["graven"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "graven" in scripts


def test_graven_commands_and_options_exist() -> None:
    running = services_running("graven")
    assert {"graven", "agent"} <= set(running)
    for name, runs in running.items():
        for args in runs:
            check_options(GRAVEN, args, name)
    assert running["graven"][0][:1] == ["up"]
    assert running["agent"][0][:1] == ["agent"]


def test_ray_commands_and_options_exist() -> None:
    running = services_running("ray")
    assert {"ray-head", "ray-worker", "agent"} <= set(running)
    for name, runs in running.items():
        for args in runs:
            check_options(ray_cli, args, name)
    for service in ("ray-head", "ray-worker"):
        assert "--block" in running[service][0], f"{service} would exit at once"


def test_the_control_plane_listens_beyond_loopback() -> None:
    result = CliRunner().invoke(app, ["up", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "--host" in result.output
    up = GRAVEN.commands["up"]
    assert any(p.name == "host" and p.envvar == "GRAVEN_HOST" for p in up.params)
    assert environment(SERVICES["graven"])["GRAVEN_HOST"] == "0.0.0.0"


def test_every_graven_variable_is_read_by_graven() -> None:
    known = graven_variables()
    # The derivation itself must find what the CLI and the store read.
    assert {"GRAVEN_DB", "GRAVEN_HOST", "GRAVEN_S3_ACCESS_KEY"} <= known
    dockerfile_env = {
        word.split("=", 1)[0]
        for word in (ROOT / "Dockerfile").read_text().split()
        if word.startswith("GRAVEN_") and "=" in word
    }
    used = dockerfile_env | {
        variable
        for service in SERVICES.values()
        for variable in environment(service)
        if variable.startswith("GRAVEN_")
    }
    assert used - known == set()


def ray_processes() -> set[str]:
    """The services running a Ray node or a Ray driver (the agents)."""
    return set(services_running("ray")) | {"agent"}


def published(service: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(host address or None for every interface, published port) of each published port, in
    either of compose's syntaxes."""
    found: list[tuple[str | None, str]] = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            found.append((port.get("host_ip"), str(port.get("published", port["target"]))))
            continue
        parts = str(port).rsplit("/", 1)[0].split(":")
        host_ip = parts[0] if len(parts) == 3 else None
        found.append((host_ip, parts[-2] if len(parts) > 1 else parts[-1]))
    return found


def test_published_ports_are_on_loopback_only() -> None:
    every = {name: published(service) for name, service in SERVICES.items()}
    assert every["graven"] == [("127.0.0.1", "8089"), ("127.0.0.1", "8080")]
    for name, ports in every.items():
        for host_ip, port in ports:
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond loopback"
    for name in ray_processes():
        assert every[name] == [], f"{name} publishes Ray's ports"
        assert "network_mode" not in SERVICES[name], f"{name} shares the host's network"


def test_ray_token_authentication_is_on_for_every_ray_process() -> None:
    settings = {
        name: (environment(SERVICES[name]).get("RAY_AUTH_MODE"), token_path(SERVICES[name]))
        for name in ray_processes()
    }
    assert set(settings.values()) == {("token", RAY_TOKEN_PATH)}, settings
    everywhere = {environment(s).get("RAY_AUTH_MODE") for s in SERVICES.values()} - {None}
    assert everywhere == {"token"}
    # The token itself is in a file, never in an environment `docker inspect` shows.
    assert [n for n, s in SERVICES.items() if "RAY_AUTH_TOKEN" in environment(s)] == []
    for name in ray_processes():
        service = SERVICES[name]
        assert mounts(service).get(RAY_TOKEN_FOLDER) == ("ray-auth", True), name
        assert service["depends_on"]["ray-auth"]["condition"] == "service_completed_successfully"
    assert mounts(SERVICES["ray-auth"])[RAY_TOKEN_FOLDER] == ("ray-auth", False)
    # A new volume takes the owner of the image's folder it is mounted on: without the
    # folder, root's, which the image's user could not write the token into.
    assert f'chown graven:graven "$GRAVEN_HOME" {RAY_TOKEN_FOLDER}' in dockerfile()


def token_path(service: dict[str, Any]) -> str | None:
    return environment(service).get("RAY_AUTH_TOKEN_PATH")


def mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """target folder -> (volume, read-only) of the service's volumes (short syntax)."""
    found = {}
    for volume in service.get("volumes") or []:
        source, target, *options = volume.split(":")
        found[target] = (source, "ro" in options)
    return found


def run_ray_auth(path: Path) -> None:
    """The ray-auth service's script, for real, on ``path`` instead of the volume's file."""
    args = argv(SERVICES["ray-auth"])
    assert args[:2] == ["python", "-c"]
    assert RAY_TOKEN_PATH in args[2]
    script = args[2].replace(RAY_TOKEN_PATH, str(path))
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_ray_auth_service_makes_a_private_token_once(tmp_path: Path) -> None:
    path = tmp_path / "ray-auth" / "token"
    run_ray_auth(path)
    first = path.read_text()
    assert re.fullmatch("[0-9a-f]{64}", first)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A restarted stack keeps its token: nodes already running hold it.
    run_ray_auth(path)
    assert path.read_text() == first


def test_addresses_name_services_of_the_stack() -> None:
    graven_env = environment(SERVICES["graven"])
    agent_env = environment(SERVICES["agent"])
    assert host(agent_env["GRAVEN_ENDPOINT"]) == "graven"
    assert host(agent_env["GRAVEN_RAY"]) in SERVICES
    assert make_url(graven_env["GRAVEN_DB"]).host in SERVICES
    store = S3Location.parse(graven_env["GRAVEN_STORE"])
    assert host(store.endpoint) in SERVICES
    minio_env = environment(SERVICES[host(store.endpoint)])
    for name in ("graven", "agent", *services_running("ray")):
        env = environment(SERVICES[name])
        assert env["GRAVEN_S3_ACCESS_KEY"] == minio_env["MINIO_ROOT_USER"], name
        assert env["GRAVEN_S3_SECRET_KEY"] == minio_env["MINIO_ROOT_PASSWORD"], name


def test_dependencies_and_volumes_are_declared() -> None:
    declared = set(COMPOSE.get("volumes") or {})
    for name, service in SERVICES.items():
        for dependency in service.get("depends_on") or []:
            assert dependency in SERVICES, f"{name} depends on undefined {dependency}"
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} uses undeclared volume {source}"


@pytest.mark.parametrize("name", ["postgres", "minio", "ray-head", "graven"])
def test_health_checks(name: str) -> None:
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    assert len(test) > 1


def health_check_script() -> str:
    test = SERVICES["graven"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    script: str = test[3]
    assert HEALTH_ADDRESS in script
    return script


def test_control_plane_health_check_passes_on_a_serving_control_plane(
    control_plane: ControlPlane,
) -> None:
    script = health_check_script().replace(HEALTH_ADDRESS, control_plane.grpc_address)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


def test_control_plane_health_check_fails_without_a_control_plane() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{sock.getsockname()[1]}"
        script = health_check_script().replace(HEALTH_ADDRESS, address)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert result.returncode != 0
