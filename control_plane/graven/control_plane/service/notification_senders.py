"""The ports a delivery goes out through: an HTTP POST (webhook) and a mail (SMTP).

Each call makes one attempt and says what came of it; it never raises for the receiver's
sake, and every wait is bounded by a timeout so a dead receiver costs one timeout.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from graven.control_plane.config import WEBHOOK_SECRET_ENV
from graven.control_plane.service.notifications import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    summary,
    webhook_body,
)
from graven.v1.notification_pb2 import Notification

USER_AGENT = "graven-notifications/1"


@dataclass(frozen=True)
class Outcome:
    # The HTTP status answered; 0 for none.
    status_code: int = 0
    # Empty: delivered.
    error: str = ""


class Sender(Protocol):
    def __call__(self, notification: Notification, event: bytes, now: datetime) -> Outcome: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET elsewhere; the receiver's URL is the one.
    def redirect_request(self, *_: object, **__: object) -> None:
        return None


class WebhookSender:
    """POSTs the body, signed when the notification names a key of ``secrets``."""

    def __init__(self, secrets: Mapping[str, bytes], timeout: float) -> None:
        self._secrets = secrets
        self._timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def __call__(self, notification: Notification, event: bytes, now: datetime) -> Outcome:
        webhook = notification.webhook
        body = webhook_body(notification, event)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if webhook.secret:
            key = self._secrets.get(webhook.secret)
            if key is None:
                return Outcome(
                    error=f"no HMAC key named {webhook.secret!r} is configured "
                    f"(set {WEBHOOK_SECRET_ENV}{webhook.secret} for the control plane)"
                )
            timestamp = int(now.timestamp())
            headers[TIMESTAMP_HEADER] = str(timestamp)
            headers[SIGNATURE_HEADER] = signature(key, timestamp, body)
        request = urllib.request.Request(webhook.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                status = int(response.status)
        except urllib.error.HTTPError as error:
            return Outcome(error.code, f"the receiver answered HTTP {error.code}")
        except (urllib.error.URLError, OSError, ValueError) as error:
            return Outcome(error=f"no answer: {error}")
        if not 200 <= status < 300:
            return Outcome(status, f"the receiver answered HTTP {status}")
        return Outcome(status)


class EmailSender:
    """One mail to the notification's recipients over the configured SMTP server."""

    def __init__(self, host: str | None, port: int, sender: str, timeout: float) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout

    def __call__(self, notification: Notification, event: bytes, now: datetime) -> Outcome:
        if not self._host:
            return Outcome(error="no SMTP server is configured (GRAVEN_SMTP_HOST)")
        message = EmailMessage()
        message["Subject"] = summary(event)
        message["From"] = self._sender
        message["To"] = ", ".join(notification.email.recipients)
        message.set_content(
            f"{summary(event)}\n\n{json.dumps(json.loads(event), indent=2, sort_keys=True)}\n"
        )
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            return Outcome(error=f"SMTP: {error}")
        return Outcome()


class Senders:
    """The sender of a notification's kind."""

    def __init__(self, webhook: Sender, email: Sender) -> None:
        self._webhook = webhook
        self._email = email

    def __call__(self, notification: Notification, event: bytes, now: datetime) -> Outcome:
        send = self._webhook if notification.WhichOneof("target") == "webhook" else self._email
        return send(notification, event, now)
