"""The delivery loop: attempts the due deliveries of the outbox, records every attempt and
schedules the next one with backoff.

It runs on a thread of its own, apart from the event path: an execution's phase is written
(with its deliveries) before any attempt, and no receiver's failure or slowness reaches it.
With several control planes on one database each delivery is claimed by one of them per
attempt (NotificationRepository.claim).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import timedelta

from graven.control_plane.persistence.notification_repository import (
    Attempt,
    NotificationRepository,
)
from graven.control_plane.service.clock import Clock, utc_now
from graven.control_plane.service.notification_senders import Outcome, Sender
from graven.control_plane.service.notifications import RetryPolicy

log = logging.getLogger(__name__)

# Longer than any one attempt can take (the senders' timeouts), so a claim runs out only
# when its control plane stopped.
CLAIM_FOR = timedelta(minutes=5)
BATCH = 32


class DeliveryLoop:
    def __init__(
        self,
        repository: NotificationRepository,
        send: Sender,
        retry: RetryPolicy,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._send = send
        self._retry = retry
        self._clock = clock
        self.owner = f"{socket.gethostname()[:200]}/{os.getpid()}/{secrets.token_hex(4)}"

    def run_once(self) -> int:
        """Attempt every delivery due now; how many attempts were made."""
        made = 0
        now = self._clock()
        for delivery_id in self._repository.due(now, BATCH):
            claimed = self._repository.claim(delivery_id, self.owner, now, now + CLAIM_FOR)
            if claimed is None:
                continue
            try:
                outcome = self._send(claimed.notification, claimed.event, self._clock())
            except Exception as error:  # a sender's bug is one failed attempt, not a dead loop
                log.exception("notification delivery %d", delivery_id)
                outcome = Outcome(error=f"internal error: {error!r}")
            at = self._clock()
            attempt = Attempt(at, outcome.status_code, outcome.error)
            retry_at = (
                None if attempt.delivered else self._retry.next_attempt(claimed.attempts + 1, at)
            )
            self._repository.record(claimed, self.owner, attempt, retry_at)
            made += 1
        return made
