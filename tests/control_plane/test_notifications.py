"""Notifications over a real control plane (both databases), a real HTTP receiver and a real
SMTP server: the outbox is written with the terminal phase, the delivery loop (driven here
by the test, on a clock the test moves) signs, retries with backoff and records attempts."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiosmtpd.controller import Controller
from auth_support import authorized_channel, remember, token_env
from cp_support import DOMAIN, launch_plan_id, launch_plan_spec, unique
from execution_support import WAIT, Harness, execution_event
from notification_support import Mailbox

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.notification_repository import NotificationRepository
from graven.control_plane.service.clock import Clock, utc_now
from graven.control_plane.service.notification_senders import WebhookSender
from graven.control_plane.service.notifications import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    RetryPolicy,
    verify,
)
from graven.control_plane.service.notifier import DeliveryLoop
from graven.literals import int_literal
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import notification_pb2 as nt
from graven.v1 import notification_service_pb2 as ns
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.notification_service_pb2_grpc import NotificationServiceStub

KEY = b"a key only the control plane and the receiver know"
FIRST_RETRY = 10.0


class MovingClock:
    """The delivery loop's time. Deliveries are stamped with the real time of the event
    batch, so it starts a minute ahead of it: each is due at once, and then only when the
    test moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Receiver:
    """An HTTP server on loopback that records each POST and answers the statuses queued."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._changed:
                    receiver.requests.append((dict(self.headers.items()), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests) >= count, WAIT):
                raise AssertionError(f"the receiver got {len(self.requests)} of {count} requests")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclasses.dataclass
class Stack:
    harness: Harness
    clock: MovingClock
    notifications: NotificationServiceStub

    @property
    def plane(self) -> ControlPlane:
        return self.harness.plane

    def launch_plan(self, *notifications: nt.Notification) -> rs.CreateLaunchPlanRequest:
        workflow = self.harness.register()
        identifier = launch_plan_id(unique("lp"), project=self.harness.project)
        spec = launch_plan_spec(workflow.id)
        spec.notifications.extend(notifications)
        return rs.CreateLaunchPlanRequest(id=identifier, spec=spec)

    def run(self, phase: pb.ExecutionPhase, *notifications: nt.Notification) -> pb.Execution:
        """Register a launch plan with ``notifications``, launch it and have an agent end
        the execution in ``phase``; the execution as the control plane then tells it."""
        request = self.launch_plan(*notifications)
        self.harness.registry.CreateLaunchPlan(request)
        execution = self.harness.executions.CreateExecution(
            es.CreateExecutionRequest(
                project=self.harness.project,
                domain=DOMAIN,
                launch_plan_id=request.id,
                inputs={"literals": {"x": int_literal(1)}},
            )
        ).execution
        agent = self.harness.agent()
        assert agent.claim().execution.id == execution.id
        error = pb.ExecutionError(message="boom") if phase == pb.EXECUTION_PHASE_FAILED else None
        agent.report(execution_event(execution.id, phase, error=error))
        return self.harness.get(execution.id)

    def deliveries(self, execution_id: ExecutionIdentifier) -> list[nt.NotificationDelivery]:
        request = ns.ListNotificationDeliveriesRequest(execution_id=execution_id)
        return list(self.notifications.ListNotificationDeliveries(request).deliveries)


@contextmanager
def stack(home: Path, db_url: str, clock: Clock | None = None, **settings: Any) -> Iterator[Stack]:
    """``clock``: the loop's time (a MovingClock the stack makes when not given)."""
    moving = MovingClock()
    config = dataclasses.replace(
        Settings.for_home(home, db_url=db_url, grpc_port=0),
        **{
            "webhook_secrets": (("HOOK", KEY),),
            # The test drives the loop (run_once): its own thread never comes round.
            "notification_poll_seconds": 3600.0,
            "notification_first_retry_seconds": FIRST_RETRY,
            "notification_timeout_seconds": WAIT,
            **settings,
        },
    )
    with ControlPlane(config, clock or moving) as plane:
        channel = authorized_channel(remember(plane))
        harness = Harness(plane, channel)
        try:
            yield Stack(harness, moving, NotificationServiceStub(channel))
        finally:
            harness.agent_channel.close()
            channel.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    served = Receiver()
    yield served
    served.close()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    # aiosmtpd's controller connects to its port once started, so it needs it up front.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def cp(tmp_path: Path, database_url: str, mailbox: Mailbox) -> Iterator[Stack]:
    with stack(tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=mailbox.port) as built:
        yield built


def webhook(url: str, *phases: int, secret: str = "HOOK", slack: bool = False) -> nt.Notification:
    return nt.Notification(
        phases=phases or [pb.EXECUTION_PHASE_FAILED],
        webhook=nt.WebhookNotification(url=url, secret=secret, slack_compatible=slack),
    )


def test_a_failure_is_posted_signed_and_retried_until_the_receiver_takes_it(
    cp: Stack, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500]
    execution = cp.run(pb.EXECUTION_PHASE_FAILED, webhook(receiver.url))
    # The phase is terminal before any attempt, and whatever the attempts will bring.
    assert execution.closure.phase == pb.EXECUTION_PHASE_FAILED
    assert receiver.requests == []
    (pending,) = cp.deliveries(execution.id)
    assert (pending.state, pending.phase) == (nt.DELIVERY_STATE_PENDING, pb.EXECUTION_PHASE_FAILED)

    assert cp.plane.deliveries.run_once() == 1
    # Not due again until the backoff has passed: the first retry, then twice as long.
    assert cp.plane.deliveries.run_once() == 0
    cp.clock.advance(FIRST_RETRY)
    assert cp.plane.deliveries.run_once() == 1
    cp.clock.advance(2 * FIRST_RETRY - 1)
    assert cp.plane.deliveries.run_once() == 0
    cp.clock.advance(1)
    assert cp.plane.deliveries.run_once() == 1
    assert len(receiver.requests) == 3
    assert cp.plane.deliveries.run_once() == 0

    (delivered,) = cp.deliveries(execution.id)
    assert delivered.state == nt.DELIVERY_STATE_DELIVERED
    assert [a.status_code for a in delivered.attempts] == [500, 500, 200]
    assert [a.number for a in delivered.attempts] == [1, 2, 3]
    assert [bool(a.error) for a in delivered.attempts] == [True, True, False]
    assert cp.harness.get(execution.id).closure.phase == pb.EXECUTION_PHASE_FAILED

    headers, body = receiver.requests[-1]
    assert verify(KEY, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body, cp.clock())
    assert not verify(
        b"another key", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body, cp.clock()
    )
    assert not verify(
        KEY, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body + b" ", cp.clock()
    )
    # Replayed later than the window: refused.
    later = cp.clock() + timedelta(hours=1)
    assert not verify(KEY, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body, later)
    event = json.loads(body)
    assert event["phase"] == "FAILED"
    assert event["error"] == "boom"
    assert event["execution"]["name"] == execution.id.name
    assert event["launch_plan"]["name"] == execution.spec.launch_plan_id.name


def test_a_receiver_that_never_answers_well_is_given_up_after_the_last_attempt(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    with stack(tmp_path, database_url, notification_max_attempts=2) as cp:
        receiver.statuses = [503, 503, 503]
        execution = cp.run(pb.EXECUTION_PHASE_FAILED, webhook(receiver.url))
        assert cp.plane.deliveries.run_once() == 1
        cp.clock.advance(3600)
        assert cp.plane.deliveries.run_once() == 1
        cp.clock.advance(3600)
        assert cp.plane.deliveries.run_once() == 0
        (failed,) = cp.deliveries(execution.id)
        assert failed.state == nt.DELIVERY_STATE_FAILED
        assert [a.status_code for a in failed.attempts] == [503, 503]
        assert not failed.HasField("next_attempt_at")


def test_only_the_phases_named_make_deliveries_and_slack_gets_its_text(
    cp: Stack, receiver: Receiver
) -> None:
    on_failure = webhook(receiver.url)
    on_success = webhook(receiver.url, pb.EXECUTION_PHASE_SUCCEEDED, secret="", slack=True)
    execution = cp.run(pb.EXECUTION_PHASE_SUCCEEDED, on_failure, on_success)
    (delivery,) = cp.deliveries(execution.id)
    assert (delivery.notification_index, delivery.phase) == (1, pb.EXECUTION_PHASE_SUCCEEDED)
    assert cp.plane.deliveries.run_once() == 1
    ((headers, body),) = receiver.requests
    text = json.loads(body)["text"]
    assert execution.id.name in text
    assert "SUCCEEDED" in text
    # No key named: unsigned.
    assert SIGNATURE_HEADER not in headers


def test_a_key_the_control_plane_lacks_is_a_recorded_failure(cp: Stack, receiver: Receiver) -> None:
    execution = cp.run(pb.EXECUTION_PHASE_FAILED, webhook(receiver.url, secret="MISSING"))
    assert cp.plane.deliveries.run_once() == 1
    (delivery,) = cp.deliveries(execution.id)
    assert delivery.state == nt.DELIVERY_STATE_PENDING
    assert "GRAVEN_WEBHOOK_SECRET_MISSING" in delivery.attempts[0].error
    assert receiver.requests == []


def test_an_unreachable_receiver_is_an_attempt_with_an_error(cp: Stack) -> None:
    # A port nothing listens on (the receiver was closed before the attempt).
    gone = Receiver()
    gone.close()
    execution = cp.run(pb.EXECUTION_PHASE_FAILED, webhook(gone.url))
    assert execution.closure.phase == pb.EXECUTION_PHASE_FAILED
    assert cp.plane.deliveries.run_once() == 1
    (delivery,) = cp.deliveries(execution.id)
    assert delivery.attempts[0].status_code == 0
    assert delivery.attempts[0].error.startswith("no answer")


def test_an_execution_terminated_while_queued_notifies_aborted(
    cp: Stack, receiver: Receiver
) -> None:
    request = cp.launch_plan(webhook(receiver.url, pb.EXECUTION_PHASE_TERMINATED))
    cp.harness.registry.CreateLaunchPlan(request)
    execution = cp.harness.executions.CreateExecution(
        es.CreateExecutionRequest(
            project=cp.harness.project,
            domain=DOMAIN,
            launch_plan_id=request.id,
            inputs={"literals": {"x": int_literal(1)}},
        )
    ).execution
    assert cp.deliveries(execution.id) == []
    cp.harness.executions.TerminateExecution(
        es.TerminateExecutionRequest(id=execution.id, reason="not today")
    )
    assert cp.harness.get(execution.id).closure.phase == pb.EXECUTION_PHASE_TERMINATED
    assert cp.plane.deliveries.run_once() == 1
    ((_, body),) = receiver.requests
    event = json.loads(body)
    assert (event["phase"], event["error"]) == ("TERMINATED", "not today")
    # Asked again, nothing changes and nothing more is sent.
    with pytest.raises(grpc.RpcError):
        cp.harness.executions.TerminateExecution(es.TerminateExecutionRequest(id=execution.id))
    assert len(cp.deliveries(execution.id)) == 1


def test_graven_executions_get_shows_the_deliveries(cp: Stack, receiver: Receiver) -> None:
    receiver.statuses = [500]
    execution = cp.run(pb.EXECUTION_PHASE_FAILED, webhook(receiver.url))
    assert cp.plane.deliveries.run_once() == 1
    name, project, at = execution.id.name, cp.harness.project, cp.plane.grpc_address
    shown = graven_cli("executions", "get", name, "-p", project, "-d", DOMAIN, endpoint=at)
    assert shown.returncode == 0, shown.stderr
    assert (
        f"notify {receiver.url} on FAILED: pending after 1 attempt(s) "
        "(last: the receiver answered HTTP 500)"
    ) in shown.stdout
    as_json = graven_cli(
        "executions", "get", name, "-p", project, "-d", DOMAIN, "--json", endpoint=at
    )
    (delivery,) = json.loads(as_json.stdout)["notification_deliveries"]
    assert delivery["attempts"][0]["status_code"] == 500


def graven_cli(*args: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graven.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **token_env(endpoint), "COLUMNS": "200"},
        check=False,
    )


def test_email_reaches_the_smtp_server(cp: Stack, mailbox: Mailbox) -> None:
    email = nt.Notification(
        phases=[pb.EXECUTION_PHASE_SUCCEEDED, pb.EXECUTION_PHASE_FAILED],
        email=nt.EmailNotification(recipients=["ops@example.com", "dev@example.com"]),
    )
    execution = cp.run(pb.EXECUTION_PHASE_SUCCEEDED, email)
    assert cp.plane.deliveries.run_once() == 1
    (mail,) = mailbox.mails
    assert sorted(mail.recipients) == ["dev@example.com", "ops@example.com"]
    assert execution.id.name in mail.subject
    assert "SUCCEEDED" in mail.subject
    (delivery,) = cp.deliveries(execution.id)
    assert delivery.state == nt.DELIVERY_STATE_DELIVERED


def test_two_control_planes_on_one_database_deliver_once(
    cp: Stack, receiver: Receiver, database_url: str
) -> None:
    """Two delivery loops (a second control plane's) racing over the same due deliveries:
    each delivery is attempted by one of them."""
    executions = [cp.run(pb.EXECUTION_PHASE_FAILED, webhook(receiver.url)) for _ in range(4)]
    engine = make_engine(database_url)
    try:
        other = DeliveryLoop(
            NotificationRepository(make_sessions(engine)),
            WebhookSender({"HOOK": KEY}, WAIT),
            RetryPolicy(),
            cp.clock,
        )
        start = threading.Barrier(2)

        def race(loop: DeliveryLoop) -> int:
            start.wait(WAIT)
            return loop.run_once()

        with ThreadPoolExecutor(2) as pool:
            made = list(pool.map(race, [cp.plane.deliveries, other]))
    finally:
        engine.dispose()
    assert sum(made) == 4
    assert len(receiver.requests) == 4
    for execution in executions:
        (delivery,) = cp.deliveries(execution.id)
        assert len(delivery.attempts) == 1
        assert delivery.state == nt.DELIVERY_STATE_DELIVERED


def test_the_loop_delivers_on_its_own(
    tmp_path: Path, database_url: str, receiver: Receiver
) -> None:
    with stack(tmp_path, database_url, utc_now, notification_poll_seconds=0.05) as cp:
        execution = cp.run(pb.EXECUTION_PHASE_FAILED, webhook(receiver.url))
        receiver.wait_for(1)
        assert json.loads(receiver.requests[0][1])["execution"]["name"] == execution.id.name


@pytest.mark.parametrize(
    ("notification", "field"),
    [
        (webhook("ftp://example.com/hook"), "spec.notifications[0].webhook.url"),
        (webhook("http:///no-host"), "spec.notifications[0].webhook.url"),
        (
            webhook("https://example.com", secret="not a name"),
            "spec.notifications[0].webhook.secret",
        ),
        (
            nt.Notification(phases=[pb.EXECUTION_PHASE_FAILED], email=nt.EmailNotification()),
            "spec.notifications[0].email.recipients",
        ),
        (
            nt.Notification(
                phases=[pb.EXECUTION_PHASE_FAILED],
                email=nt.EmailNotification(recipients=["ops@example.com\nBcc: x@y.z"]),
            ),
            "spec.notifications[0].email.recipients[0]",
        ),
        (
            webhook("https://example.com", pb.EXECUTION_PHASE_RUNNING),
            "spec.notifications[0].phases[0]",
        ),
        (
            nt.Notification(phases=[99], webhook=nt.WebhookNotification(url="https://e.com")),  # type: ignore[list-item]
            "spec.notifications[0].phases[0]",
        ),
        (
            nt.Notification(webhook=nt.WebhookNotification(url="https://e.com")),
            "spec.notifications[0].phases",
        ),
        (nt.Notification(phases=[pb.EXECUTION_PHASE_FAILED]), "spec.notifications[0].target"),
    ],
)
def test_bad_notifications_are_refused_at_registration(
    cp: Stack, notification: nt.Notification, field: str
) -> None:
    request = cp.launch_plan(notification)
    with pytest.raises(grpc.RpcError) as caught:
        cp.harness.registry.CreateLaunchPlan(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (caught.value.details() or "").startswith(field)
    listed = cp.harness.registry.ListVersions(
        rs.ListVersionsRequest(
            resource_type=request.id.resource_type,
            project=request.id.project,
            domain=request.id.domain,
            name=request.id.name,
        )
    )
    assert list(listed.versions) == []


def test_deliveries_of_an_unknown_execution_are_not_found(cp: Stack) -> None:
    missing = ExecutionIdentifier(project=cp.harness.project, domain=DOMAIN, name="nope")
    with pytest.raises(grpc.RpcError) as caught:
        cp.deliveries(missing)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
