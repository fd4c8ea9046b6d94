"""``Webhook`` and ``Email``: who hears of a launch plan's executions ending, in which phases
(``LaunchPlan(..., notifications=[...])``).

Phases are the terminal ones, by name: ``"succeeded"``, ``"failed"``, ``"timed_out"`` and
``"aborted"`` (terminated before it finished). A webhook's ``secret`` names an HMAC key the
control plane is configured with (``GRAVEN_WEBHOOK_SECRET_<NAME>``); the key itself is never
in the launch plan. The control plane checks everything again at registration.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from graven.errors import GravenDefinitionError
from graven.v1 import execution_pb2 as pb
from graven.v1.notification_pb2 import EmailNotification, Notification, WebhookNotification

PHASES = {
    "succeeded": pb.EXECUTION_PHASE_SUCCEEDED,
    "failed": pb.EXECUTION_PHASE_FAILED,
    "timed_out": pb.EXECUTION_PHASE_TIMED_OUT,
    "aborted": pb.EXECUTION_PHASE_TERMINATED,
}
DEFAULT_PHASES = ("failed", "timed_out")


def _phases(on: Sequence[str]) -> list[pb.ExecutionPhase]:
    if isinstance(on, str) or not on:
        raise GravenDefinitionError(
            f"on must be a non-empty list of phases ({', '.join(PHASES)}), got {on!r}"
        )
    unknown = [phase for phase in on if phase not in PHASES]
    if unknown:
        raise GravenDefinitionError(
            f"unknown phase {unknown[0]!r}: notifications are sent on {', '.join(PHASES)}"
        )
    return [PHASES[phase] for phase in on]


class Webhook:
    """An HTTP POST of a JSON body to ``url``; ``slack=True`` sends Slack's ``{"text": ...}``."""

    def __init__(
        self,
        url: str,
        on: Sequence[str] = DEFAULT_PHASES,
        secret: str = "",
        slack: bool = False,
    ) -> None:
        try:
            parts = urlsplit(url) if isinstance(url, str) else None
        except ValueError:  # an unbalanced [ or ] around an IPv6 host
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise GravenDefinitionError(f"webhook url must be http:// or https://, got {url!r}")
        self.url = url
        self.phases = _phases(on)
        self.secret = secret
        self.slack = slack

    def proto(self) -> Notification:
        return Notification(
            phases=self.phases,
            webhook=WebhookNotification(
                url=self.url, secret=self.secret, slack_compatible=self.slack
            ),
        )


class Email:
    """A mail to ``recipients`` over the control plane's SMTP server."""

    def __init__(self, recipients: Sequence[str], on: Sequence[str] = DEFAULT_PHASES) -> None:
        if isinstance(recipients, str) or not recipients:
            raise GravenDefinitionError(
                f"recipients must be a non-empty list of addresses, got {recipients!r}"
            )
        self.recipients = list(recipients)
        self.phases = _phases(on)

    def proto(self) -> Notification:
        return Notification(phases=self.phases, email=EmailNotification(recipients=self.recipients))
