"""Uploads: content a client sent through UploadContent, kept apart from specs and lineage so
that content nothing came to reference can be found and collected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.timestamps import UtcDateTime


class UploadRow(Base):
    """One uploaded content object; its time is the last upload of those bytes, or the last
    launch that was about to reference them, whichever is later (each restarts the grace)."""

    __tablename__ = "uploads"

    # "sha256:" and 64 hex digits.
    content_hash: Mapped[str] = mapped_column(String(71), primary_key=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # The collector's scan for uploads past their grace.
        Index("ix_uploads_uploaded_at", "uploaded_at"),
    )
