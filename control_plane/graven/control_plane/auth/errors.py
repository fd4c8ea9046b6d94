"""Refusals of authentication and authorization, mapped to a status by each transport."""

from __future__ import annotations


class Unauthenticated(Exception):
    """No credential, or one that is not (or no longer) valid."""


class PermissionDenied(Exception):
    """A valid credential whose role, kind or scopes do not allow the call."""


class Hidden(Exception):
    """Out of scope where saying so would reveal that the resource exists: NOT_FOUND."""
