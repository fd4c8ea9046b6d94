"""Tokens: the embedded stack's token files (0600 from the start, rotated by removal), the
TokenService rules, and `graven tokens create|list|revoke` end to end through the CLI."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from auth_cases import WAIT, client, unique
from auth_support import admin_token, remember
from sqlalchemy import text

from graven.channels import AGENT_TOKEN_FILE, TOKEN_FILE
from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.v1 import execution_service_pb2 as es
from graven.v1 import token_service_pb2 as tk

REPO = Path(__file__).resolve().parents[2]


def test_the_token_files_are_private_and_rotate_when_removed(
    tmp_path: Path, database_url: str
) -> None:
    home = tmp_path / "home"
    settings = Settings.for_home(home, db_url=database_url, grpc_port=0)
    request = es.ListExecutionsRequest(project="p", domain="dev")
    with ControlPlane(settings) as plane:
        for name in (TOKEN_FILE, AGENT_TOKEN_FILE):
            mode = stat.S_IMODE((home / name).stat().st_mode)
            assert mode == 0o600, (name, oct(mode))
        first = admin_token(plane)
        assert (home / TOKEN_FILE).read_text().strip() == first
        # Nothing but its hash is stored.
        with plane.engine.connect() as connection:
            rows = connection.execute(text("SELECT name, secret_hash FROM tokens")).all()
        assert all(first not in str(row) for row in rows)
    # The same file again: the same token, valid.
    with ControlPlane(settings) as plane, client(plane, first) as admin:
        assert admin_token(plane) == first
        admin.executions.ListExecutions(request, timeout=WAIT)
    (home / TOKEN_FILE).unlink()
    with ControlPlane(settings) as plane:
        second = admin_token(plane)
        assert second != first
        with client(plane, first) as stale:
            with pytest.raises(grpc.RpcError) as refused:
                stale.executions.ListExecutions(request, timeout=WAIT)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with client(plane, second) as admin:
            admin.executions.ListExecutions(request, timeout=WAIT)


def test_a_token_file_made_readable_by_others_is_tightened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings.for_home(home, grpc_port=0)
    ControlPlane(settings).engine.dispose()
    (home / TOKEN_FILE).chmod(0o644)
    ControlPlane(settings).engine.dispose()
    assert stat.S_IMODE((home / TOKEN_FILE).stat().st_mode) == 0o600


def test_a_file_that_holds_no_token_is_refused_with_what_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    fd = os.open(home / TOKEN_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"hunter2\n")
    os.close(fd)
    with pytest.raises(OSError, match="remove it"):
        ControlPlane(Settings.for_home(home, grpc_port=0))


def test_token_service_checks_what_it_is_asked(control_plane: ControlPlane) -> None:
    everywhere = [tk.TokenScope(project="*", domain="*")]
    bad = [
        tk.CreateTokenRequest(name="", role=tk.TOKEN_ROLE_VIEWER, scopes=everywhere),
        tk.CreateTokenRequest(name="a/b", role=tk.TOKEN_ROLE_VIEWER, scopes=everywhere),
        tk.CreateTokenRequest(name="x" * 64, role=tk.TOKEN_ROLE_VIEWER, scopes=everywhere),
        tk.CreateTokenRequest(name="ok", role=tk.TOKEN_ROLE_UNSPECIFIED, scopes=everywhere),
        tk.CreateTokenRequest(name="ok", role=tk.TOKEN_ROLE_VIEWER),
        tk.CreateTokenRequest(
            name="ok", role=tk.TOKEN_ROLE_VIEWER, scopes=[tk.TokenScope(project="Bad!", domain="d")]
        ),
        tk.CreateTokenRequest(name="ok", role=tk.TOKEN_ROLE_VIEWER, scopes=everywhere, kind=9),  # type: ignore[arg-type]
    ]
    with client(control_plane, admin_token(control_plane)) as admin:
        for request in bad:
            with pytest.raises(grpc.RpcError) as refused:
                admin.tokens.CreateToken(request, timeout=WAIT)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, request
        name = unique("dup")
        made = tk.CreateTokenRequest(name=name, role=tk.TOKEN_ROLE_VIEWER, scopes=everywhere)
        admin.tokens.CreateToken(made, timeout=WAIT)
        with pytest.raises(grpc.RpcError) as duplicate:
            admin.tokens.CreateToken(made, timeout=WAIT)
        assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
        missing = tk.RevokeTokenRequest(name=unique("nobody"))
        with pytest.raises(grpc.RpcError) as unknown:
            admin.tokens.RevokeToken(missing, timeout=WAIT)
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_tokens_are_listed_newest_first_in_pages_without_secrets(
    control_plane: ControlPlane,
) -> None:
    names = [unique("page") for _ in range(5)]
    with client(control_plane, admin_token(control_plane)) as admin:
        secrets = []
        for name in names:
            created = admin.tokens.CreateToken(
                tk.CreateTokenRequest(
                    name=name,
                    role=tk.TOKEN_ROLE_VIEWER,
                    scopes=[tk.TokenScope(project="p", domain="*")],
                ),
                timeout=WAIT,
            )
            secrets.append(created.secret)
            assert created.token.created_by.startswith("home-admin-")
        seen: list[str] = []
        page = tk.ListTokensRequest(page_size=2)
        while True:
            answer = admin.tokens.ListTokens(page, timeout=WAIT)
            assert len(answer.tokens) <= 2
            seen += [t.name for t in answer.tokens]
            assert not any(s in str(answer) for s in secrets)
            if not answer.next_page_token:
                break
            page.page_token = answer.next_page_token
    assert [n for n in seen if n in names] == names[::-1]


def graven(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graven.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def test_graven_tokens_create_list_and_revoke(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with ControlPlane(Settings.for_home(home, grpc_port=0)) as plane:
        remember(plane)
        # The CLI reads the home's token file: no token is typed.
        admin = {"GRAVEN_ENDPOINT": plane.grpc_address, "GRAVEN_HOME": str(home)}
        created = graven(
            "tokens", "create", "ci", "--role", "viewer", "-p", "alpha", "--expires", "30d",
            "--json", env=admin,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        answer = json.loads(created.stdout)
        secret = answer["secret"]
        assert answer["token"]["scopes"] == [{"project": "alpha", "domain": "*"}]
        assert "expires_at" in answer["token"]

        as_ci = {"GRAVEN_ENDPOINT": plane.grpc_address, "GRAVEN_TOKEN": secret}
        assert graven("executions", "list", "-p", "alpha", env=as_ci).returncode == 0
        other = graven("--token", secret, "executions", "list", "-p", "beta", env=admin)
        assert other.returncode == 1
        assert other.stderr.startswith("error: PERMISSION_DENIED"), other.stderr
        assert len(other.stderr.strip().splitlines()) == 1

        listed = graven("tokens", "list", env=admin)
        assert listed.returncode == 0, listed.stderr
        assert "ci" in listed.stdout
        assert "viewer" in listed.stdout
        assert secret not in listed.stdout

        revoked = graven("tokens", "revoke", "ci", env=admin)
        assert revoked.returncode == 0, revoked.stderr
        after = graven("executions", "list", "-p", "alpha", env=as_ci)
        assert after.returncode == 1
        assert after.stderr.startswith("error: UNAUTHENTICATED"), after.stderr
        assert "ci" not in graven("tokens", "list", env=admin).stdout
        assert "ci" in graven("tokens", "list", "--revoked", env=admin).stdout


def test_without_any_token_the_cli_says_how_to_get_one(tmp_path: Path) -> None:
    with ControlPlane(Settings.for_home(tmp_path / "home", grpc_port=0)) as plane:
        nobody = {"GRAVEN_ENDPOINT": plane.grpc_address, "GRAVEN_HOME": str(tmp_path / "empty")}
        env = {k: v for k, v in os.environ.items() if k != "GRAVEN_TOKEN"}
        result = subprocess.run(
            [sys.executable, "-m", "graven.cli", "executions", "list"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, **nobody},
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: UNAUTHENTICATED")
    assert "GRAVEN_TOKEN" in lines[0]
