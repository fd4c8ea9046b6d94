"""Bearer tokens: mutable state (revocation, rotation of the embedded ones), kept apart
from the specs. Only the sha256 of a secret is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.registry_models import RowId
from graven.control_plane.persistence.timestamps import UtcDateTime

TOKEN_NAME = String(63)


class TokenRow(Base):
    __tablename__ = "tokens"

    # Newest first is id descending, and a page cursor a single integer.
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(TOKEN_NAME, unique=True)
    # graven.v1.TokenKind and TokenRole numbers.
    kind: Mapped[int] = mapped_column(SmallInteger)
    role: Mapped[int] = mapped_column(SmallInteger)
    # JSON: [["project", "domain"], ...], "*" for any.
    scopes: Mapped[str] = mapped_column(Text)
    # Hex sha256 of the secret; authentication is a lookup by it.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(TOKEN_NAME, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
