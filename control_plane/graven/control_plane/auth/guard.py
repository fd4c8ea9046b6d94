"""Admission of one call: authenticate its bearer secret (cached briefly), then check the
policy table's rule for its method against the token and the request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from google.protobuf.message import Message

from graven.control_plane.auth.credentials import secret_hash
from graven.control_plane.auth.errors import Hidden, PermissionDenied, Unauthenticated
from graven.control_plane.auth.places import named_places
from graven.control_plane.auth.policy import POLICY, Rule
from graven.control_plane.auth.principals import Kind, Principal
from graven.control_plane.errors import InvalidArgument

log = logging.getLogger(__name__)

# A revocation by another control plane sharing the database takes effect within this long;
# one by this process at once (it clears the cache).
CACHE_SECONDS = 1.0
# Secrets remembered at once (unknown ones too, so a flood of bad tokens costs one lookup
# each per second); past it the cache starts afresh.
CACHE_ENTRIES = 4096
# Agent ids are stored as "<token name>/<agent id>"; the stored column holds 253 characters.
MAX_QUALIFIED_AGENT_ID = 253

NO_TOKEN = (
    "this call needs a token (authorization: Bearer <secret>): the CLI and SDK send "
    "--token, GRAVEN_TOKEN or the token file of the home (<home>/token, written by "
    "`graven up`); an admin makes more with `graven tokens create`"
)


class TokenLookup(Protocol):
    def principal(self, secret_hash: str) -> Principal | None:
        """The token with this hash, unless it is revoked; None when there is none."""
        ...


class Guard:
    def __init__(
        self, tokens: TokenLookup, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._tokens = tokens
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Principal | None, float]] = {}

    def rule(self, method: str) -> Rule:
        rule = POLICY.get(method)
        if rule is None:
            # Unreachable for the services the table covers (a test checks it); a method
            # nobody listed is refused, never served open.
            raise PermissionDenied(f"{method} is not in the authorization policy")
        return rule

    def authenticate(self, secret: str | None) -> Principal:
        if secret is None:
            raise Unauthenticated(NO_TOKEN)
        hashed = secret_hash(secret)
        principal = self._cached(hashed)
        if principal is None:
            raise Unauthenticated("the token is not valid (unknown or revoked)")
        if principal.expired(self._clock()):
            raise Unauthenticated(f"token {principal.name!r} has expired")
        return principal

    def needs_lookup(self, secret: str | None) -> bool:
        """Whether authenticate() would read the database (the async transports then call
        it on a thread)."""
        if secret is None:
            return False
        with self._lock:
            hit = self._cache.get(secret_hash(secret))
        return hit is None or hit[1] < time.monotonic()

    def forget(self) -> None:
        """After a revocation: every later call looks its token up again."""
        with self._lock:
            self._cache.clear()

    def _cached(self, hashed: str) -> Principal | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(hashed)
        if hit is not None and hit[1] >= now:
            return hit[0]
        principal = self._tokens.principal(hashed)
        with self._lock:
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
            self._cache[hashed] = (principal, now + CACHE_SECONDS)
        return principal

    def admit(self, method: str, principal: Principal, request: Message | None) -> Rule:
        """Refuse the call unless the rule allows it; for an agent, bind the request's
        agent id to the token (``None``: a streamed request, which names no place)."""
        rule = self.rule(method)
        if principal.kind != rule.kind:
            if rule.kind == Kind.AGENT:
                raise PermissionDenied(f"{method} is for agents: {principal.describe()} is not")
            raise PermissionDenied(
                f"agent token {principal.name!r} may only call AgentService, not {method}"
            )
        if principal.role < rule.role:
            raise PermissionDenied(
                f"{method} needs the {rule.role.name.lower()} role; {principal.describe()}"
            )
        places = rule.places(request) if request is not None else []
        if not principal.covers_all(places):
            outside = ", ".join(sorted({f"{p or '*'}/{d or '*'}" for p, d in places}))
            if rule.hide:
                raise Hidden(f"nothing of {outside} is visible to token {principal.name!r}")
            raise PermissionDenied(f"{principal.describe()} does not cover {outside}")
        if rule.kind == Kind.AGENT and request is not None:
            bind_agent(principal, request)
        return rule

    def check_answer(self, method: str, rule: Rule, principal: Principal, answer: Any) -> None:
        """Refuse an answer that names a project the token cannot see, whole."""
        if not rule.check_answer or principal.everywhere:
            return
        outside = {p for p in named_places(answer) if not principal.covers(*p)}
        if outside:
            log.warning(
                "%s: answer for token %r refused, it names %s",
                method,
                principal.name,
                ", ".join(f"{p}/{d}" for p, d in sorted(outside)),
            )
            raise PermissionDenied(
                f"the answer names records outside the scopes of {principal.describe()}"
            )


def bind_agent(principal: Principal, request: Any) -> None:
    """An agent acts as "<token name>/<its id>": another token can never produce that id,
    so no agent claims, beats or reports as an agent of another token."""
    agent_id: str = request.agent_id
    qualified = f"{principal.name}/{agent_id}"
    if not agent_id or len(qualified) > MAX_QUALIFIED_AGENT_ID or not agent_id.isprintable():
        limit = MAX_QUALIFIED_AGENT_ID - len(principal.name) - 1
        raise InvalidArgument("agent_id", f"must be 1 to {limit} printable characters")
    request.agent_id = qualified
