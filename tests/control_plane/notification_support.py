"""A real SMTP server's mailbox for the notification tests (aiosmtpd runs the server)."""

from __future__ import annotations

import email
import threading
from dataclasses import dataclass
from email.policy import default
from typing import Any


@dataclass(frozen=True)
class Mail:
    recipients: list[str]
    subject: str
    text: str


class Mailbox:
    """aiosmtpd's handler: every message the server accepts, parsed."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.port = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=default)
        body = message.get_body()
        with self._lock:
            self.mails.append(
                Mail(
                    list(envelope.rcpt_tos),
                    str(message["Subject"]),
                    "" if body is None else body.get_content(),
                )
            )
        return "250 OK"
