"""Bearer secrets: made random, shown once, kept only as their sha256.

A sha256 of a 256-bit random secret cannot be reversed or guessed, so the hash is looked up
directly (an index on it) and no slow or salted hash, nor constant-time comparison, is needed.
"""

from __future__ import annotations

import hashlib
import secrets

SECRET_BYTES = 32
# Tells a Graven secret apart in a config file or a leaked-credential scan.
SECRET_PREFIX = "gvn_"
BEARER = "bearer "


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer_secret(authorization: str | None) -> str | None:
    """The secret of an ``Authorization: Bearer <secret>`` value; None when absent or of
    another scheme."""
    if authorization is None or authorization[: len(BEARER)].lower() != BEARER:
        return None
    return authorization[len(BEARER) :].strip() or None
