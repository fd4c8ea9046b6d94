"""The embedded stack's own tokens, in its home: an admin token for the CLI, SDK and console
of that home (``<home>/token``) and an agent token for its agents (``<home>/agent-token``).

Each file is made 0600 from its first byte (os.open with the mode, O_EXCL), holds only the
secret, and is written once; the database holds the secret's hash under a fixed name. A
removed file is the way to rotate: the next start writes a new secret and the token takes it
(the old secret stops working). A present file is installed again at each start, so a home
pointed at a fresh database (``--db``) keeps working with its file.

The tokens are named after the home (``home-admin-<digest of its path>``), so control planes
of several homes sharing one database each keep their own.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graven.channels import AGENT_TOKEN_FILE, TOKEN_FILE
from graven.control_plane.auth.credentials import SECRET_PREFIX, new_secret, secret_hash
from graven.control_plane.auth.principals import EVERYWHERE, Kind, Role
from graven.control_plane.config import PRIVATE_FILE_MODE
from graven.control_plane.persistence.token_repository import TokenRecord, TokenRepository

HOME_ADMIN = "home-admin-"
HOME_AGENT = "home-agent-"
HOME_DIGEST_CHARS = 10


@dataclass(frozen=True)
class HomeTokens:
    admin: str
    agent: str


def install_home_tokens(home: Path, tokens: TokenRepository) -> HomeTokens:
    now = datetime.now(UTC)
    suffix = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:HOME_DIGEST_CHARS]
    secrets = HomeTokens(
        admin=_home_secret(home / TOKEN_FILE), agent=_home_secret(home / AGENT_TOKEN_FILE)
    )
    for name, kind, role, secret in (
        (HOME_ADMIN + suffix, Kind.USER, Role.ADMIN, secrets.admin),
        (HOME_AGENT + suffix, Kind.AGENT, Role.VIEWER, secrets.agent),
    ):
        record = TokenRecord(name, kind, role, (EVERYWHERE,), now, created_by=name)
        tokens.install(record, secret_hash(secret))
    return secrets


def _home_secret(path: Path) -> str:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return _read_secret(path)
    secret = new_secret()
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    return secret


def _read_secret(path: Path) -> str:
    # One that others can read is no secret any more, but tightening it now keeps it from
    # spreading further; the owner rotates it by removing the file.
    if path.stat().st_mode & 0o077:
        path.chmod(PRIVATE_FILE_MODE)
    secret = path.read_text().strip()
    if not secret.startswith(SECRET_PREFIX):
        raise OSError(f"{path} does not hold a Graven token; remove it to have a new one made")
    return secret
