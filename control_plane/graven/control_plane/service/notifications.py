"""Notifications, without I/O: which are valid, which deliveries a terminal phase makes,
the bodies they send, the signature a webhook carries and when a failed attempt is retried.

A webhook body is signed with HMAC-SHA256 over ``<timestamp>.<body>`` (the timestamp is the
X-Graven-Timestamp header, Unix seconds), sent as ``X-Graven-Signature: sha256=<hex>``. A
receiver recomputes it over the bytes it received and refuses a timestamp older than a few
minutes, so a captured request cannot be replayed later (``verify`` does both).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.execution_phases import EXECUTION_TERMINAL
from graven.control_plane.persistence.notification_repository import NewDelivery
from graven.shown import shown
from graven.v1 import execution_pb2 as pb
from graven.v1.notification_pb2 import Notification

SIGNATURE_HEADER = "X-Graven-Signature"
TIMESTAMP_HEADER = "X-Graven-Timestamp"
# How old a signed request a receiver should still accept (``verify``'s default).
REPLAY_WINDOW = timedelta(minutes=5)
WEBHOOK_SCHEMES = ("http", "https")
# A secret names a key in the configuration: GRAVEN_WEBHOOK_SECRET_<NAME>.
SECRET_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
MAX_RECIPIENTS = 100
# One address: no spaces or line breaks (they would inject mail headers), one @.
RECIPIENT = re.compile(r"[^@\s,<>]+@[^@\s,<>]+")
MAX_URL_LENGTH = 2048


def phase_name(phase: int) -> str:
    return pb.ExecutionPhase.Name(phase).removeprefix("EXECUTION_PHASE_")


def check_notifications(notifications: Sequence[Notification], field: str) -> None:
    """Refuse (InvalidArgument naming the field) a notification that could never deliver."""
    for i, notification in enumerate(notifications):
        at = f"{field}[{i}]"
        if not notification.phases:
            raise InvalidArgument(f"{at}.phases", "name at least one phase to notify on")
        terminal = ", ".join(sorted(phase_name(p) for p in EXECUTION_TERMINAL))
        for j, phase in enumerate(notification.phases):
            if phase not in EXECUTION_TERMINAL:
                raise InvalidArgument(
                    f"{at}.phases[{j}]",
                    f"phase {phase} is not a terminal phase; notifications are sent on {terminal}",
                )
        target = notification.WhichOneof("target")
        if target is None:
            raise InvalidArgument(f"{at}.target", "set a webhook or an email")
        if target == "webhook":
            _check_webhook(notification, f"{at}.webhook")
        else:
            _check_email(notification, f"{at}.email")


def _check_webhook(notification: Notification, at: str) -> None:
    webhook = notification.webhook
    url = webhook.url
    try:
        parts = urlsplit(url) if len(url) <= MAX_URL_LENGTH else None
    except ValueError:  # an unbalanced [ or ] around an IPv6 host
        parts = None
    if parts is None or parts.scheme not in WEBHOOK_SCHEMES or not parts.hostname:
        raise InvalidArgument(
            f"{at}.url", f"{shown(url[:100])} is not an http:// or https:// URL with a host"
        )
    if webhook.secret and not SECRET_NAME.fullmatch(webhook.secret):
        raise InvalidArgument(
            f"{at}.secret",
            f"{shown(webhook.secret[:100])} is not a key name (letters, digits, _; at most 64)",
        )


def _check_email(notification: Notification, at: str) -> None:
    recipients = notification.email.recipients
    if not recipients:
        raise InvalidArgument(f"{at}.recipients", "name at least one recipient")
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidArgument(f"{at}.recipients", f"at most {MAX_RECIPIENTS} recipients")
    for i, recipient in enumerate(recipients):
        if not RECIPIENT.fullmatch(recipient):
            raise InvalidArgument(
                f"{at}.recipients[{i}]", f"{shown(recipient[:100])} is not an email address"
            )


def planned_deliveries(
    execution: pb.Execution, notifications: Sequence[Notification], now: datetime
) -> list[NewDelivery]:
    """The deliveries of an execution that just reached its (terminal) phase: one per
    notification that names that phase, each carrying the event it reports."""
    phase = execution.closure.phase
    event = event_body(execution)
    return [
        NewDelivery(i, notification, phase, event, now)
        for i, notification in enumerate(notifications)
        if phase in notification.phases
    ]


def event_body(execution: pb.Execution) -> bytes:
    """Graven's JSON body: what happened to which execution (keys sorted, so the bytes are
    the same however often it is built)."""
    identifier = execution.id
    closure = execution.closure
    launch_plan = execution.spec.launch_plan_id
    workflow = execution.spec.workflow_id
    body = {
        "execution": {
            "project": identifier.project,
            "domain": identifier.domain,
            "name": identifier.name,
        },
        "phase": phase_name(closure.phase),
        "launch_plan": {"name": launch_plan.name, "version": launch_plan.version}
        if launch_plan.name
        else None,
        "workflow": {"name": workflow.name, "version": workflow.version},
        "error": closure.error.message if closure.HasField("error") else None,
        "finished_at": closure.finished_at.ToJsonString()
        if closure.HasField("finished_at")
        else None,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def summary(event: bytes) -> str:
    """One line for people: the Slack text and the email subject."""
    body = json.loads(event)
    where = body["execution"]
    line = f"Graven execution {where['project']}/{where['domain']}/{where['name']} {body['phase']}"
    if body["launch_plan"]:
        line += f" (launch plan {body['launch_plan']['name']})"
    if body["error"]:
        line += f": {body['error']}"
    return line


def slack_body(event: bytes) -> bytes:
    """What Slack's incoming webhooks (and compatible receivers) accept."""
    return json.dumps({"text": summary(event)}, separators=(",", ":")).encode()


def webhook_body(notification: Notification, event: bytes) -> bytes:
    return slack_body(event) if notification.webhook.slack_compatible else event


def signature(key: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    key: bytes,
    timestamp: str,
    signed: str,
    body: bytes,
    now: datetime,
    window: timedelta = REPLAY_WINDOW,
) -> bool:
    """What a receiver checks: the signature matches the body and timestamp it received,
    and the timestamp is recent."""
    if not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > window.total_seconds():
        return False
    return hmac.compare_digest(signature(key, int(timestamp), body), signed)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: the n-th failure waits first_delay * factor**(n-1), capped, and
    after max_attempts failures the delivery is given up."""

    max_attempts: int = 5
    first_delay: timedelta = timedelta(seconds=10)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)

    def next_attempt(self, failures: int, now: datetime) -> datetime | None:
        """When to try again after ``failures`` failed attempts; None: give up."""
        if failures >= self.max_attempts:
            return None
        delay = self.first_delay * self.factor ** (failures - 1)
        return now + min(delay, self.max_delay)
