"""graven.Webhook and graven.Email on a LaunchPlan: what the spec carries, and bad ones
refused on import (the control plane checks them again at registration)."""

from __future__ import annotations

import pytest

from graven import Email, LaunchPlan, Webhook, task, workflow
from graven.errors import GravenDefinitionError
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import Identifier
from graven.v1.notification_pb2 import EmailNotification, Notification, WebhookNotification


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def once(x: int) -> int:
    return inc(x=x)


def test_the_spec_carries_the_notifications_in_order() -> None:
    plan = LaunchPlan(
        "sdk-notifications.plan",
        once,
        notifications=[
            Webhook("https://hooks.example.com/x", secret="HOOK", slack=True),
            Email(["ops@example.com"], on=["succeeded", "aborted"]),
        ],
    )
    spec = plan.spec(Identifier(name="once", version="v1"))
    assert list(spec.notifications) == [
        Notification(
            phases=[pb.EXECUTION_PHASE_FAILED, pb.EXECUTION_PHASE_TIMED_OUT],
            webhook=WebhookNotification(
                url="https://hooks.example.com/x", secret="HOOK", slack_compatible=True
            ),
        ),
        Notification(
            phases=[pb.EXECUTION_PHASE_SUCCEEDED, pb.EXECUTION_PHASE_TERMINATED],
            email=EmailNotification(recipients=["ops@example.com"]),
        ),
    ]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Webhook("ftp://example.com"), "http:// or https://"),
        (lambda: Webhook("http://["), "http:// or https://"),
        (lambda: Webhook("https://example.com", on=["running"]), "unknown phase 'running'"),
        (lambda: Webhook("https://example.com", on="failed"), "non-empty list of phases"),
        (lambda: Email([]), "non-empty list of addresses"),
        (lambda: Email("ops@example.com"), "non-empty list of addresses"),
    ],
)
def test_bad_notifications_fail_on_import(make: object, words: str) -> None:
    with pytest.raises(GravenDefinitionError, match=words):
        make()  # type: ignore[operator]


def test_a_launch_plan_takes_only_webhooks_and_emails() -> None:
    with pytest.raises(GravenDefinitionError, match=r"graven\.Webhook or graven\.Email"):
        LaunchPlan("sdk-notifications.bad", once, notifications=["https://example.com"])  # type: ignore[list-item]
