"""A caller as authorization sees it: a token's name, kind, role and scopes."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from graven.v1 import token_service_pb2 as tk

ANY = "*"


class Role(enum.IntEnum):
    """Ordered: each role includes every lower one."""

    VIEWER = tk.TOKEN_ROLE_VIEWER
    LAUNCHER = tk.TOKEN_ROLE_LAUNCHER
    REGISTRAR = tk.TOKEN_ROLE_REGISTRAR
    ADMIN = tk.TOKEN_ROLE_ADMIN


class Kind(enum.IntEnum):
    USER = tk.TOKEN_KIND_USER
    AGENT = tk.TOKEN_KIND_AGENT


@dataclass(frozen=True)
class Scope:
    """A project and domain a token applies to; ``*`` in either matches any."""

    project: str
    domain: str

    def covers(self, project: str, domain: str) -> bool:
        """An empty ``project`` or ``domain`` asks for all of them (a list without that
        filter), which only ``*`` covers."""
        return _grants(self.project, project) and _grants(self.domain, domain)

    def __str__(self) -> str:
        return f"{self.project}/{self.domain}"


EVERYWHERE = Scope(ANY, ANY)


def _grants(granted: str, asked: str) -> bool:
    return granted == ANY or (asked != "" and granted == asked)


@dataclass(frozen=True)
class Principal:
    name: str
    kind: Kind
    role: Role
    scopes: tuple[Scope, ...]
    expires_at: datetime | None = None

    @property
    def everywhere(self) -> bool:
        """Every project and domain, present and future: lists without a project filter and
        content-addressed answers need no per-record check."""
        return EVERYWHERE in self.scopes

    def covers(self, project: str, domain: str) -> bool:
        return any(scope.covers(project, domain) for scope in self.scopes)

    def covers_all(self, places: Iterable[tuple[str, str]]) -> bool:
        return self.everywhere or all(self.covers(p, d) for p, d in places)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def describe(self) -> str:
        scopes = ", ".join(map(str, self.scopes))
        return f"token {self.name!r} ({self.role.name.lower()} in {scopes})"
