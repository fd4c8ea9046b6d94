"""The pure parts of notifications, over varied inputs: signatures, backoff, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.notifications import (
    REPLAY_WINDOW,
    RetryPolicy,
    check_notifications,
    signature,
    verify,
)
from graven.v1 import execution_pb2 as pb
from graven.v1 import notification_pb2 as nt

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
keys = st.binary(min_size=1, max_size=64)
bodies = st.binary(max_size=512)


@given(keys, bodies, st.integers(-int(REPLAY_WINDOW.total_seconds()), 0))
def test_a_signature_verifies_over_its_body_within_the_window(
    key: bytes, body: bytes, age: int
) -> None:
    timestamp = int(NOW.timestamp()) + age
    assert verify(key, str(timestamp), signature(key, timestamp, body), body, NOW)


@given(keys, bodies, st.binary(min_size=1, max_size=8))
def test_a_changed_body_or_timestamp_does_not_verify(key: bytes, body: bytes, extra: bytes) -> None:
    timestamp = int(NOW.timestamp())
    signed = signature(key, timestamp, body)
    assert not verify(key, str(timestamp), signed, body + extra, NOW)
    assert not verify(key, str(timestamp - 1), signed, body, NOW)
    stale = NOW + REPLAY_WINDOW + timedelta(seconds=1)
    assert not verify(key, str(timestamp), signed, body, stale)


@given(
    st.integers(1, 10),
    st.floats(0.1, 600),
    st.floats(1.0, 4.0),
    st.floats(1, 7200),
)
def test_backoff_grows_is_capped_and_ends(
    max_attempts: int, first: float, factor: float, cap: float
) -> None:
    policy = RetryPolicy(max_attempts, timedelta(seconds=first), factor, timedelta(seconds=cap))
    delays = [policy.next_attempt(n, NOW) for n in range(1, max_attempts + 1)]
    assert delays[-1] is None
    waits = [d - NOW for d in delays[:-1] if d is not None]
    assert len(waits) == max_attempts - 1
    assert waits == sorted(waits)
    assert all(w <= timedelta(seconds=cap) for w in waits)
    if waits:
        assert waits[0] == min(timedelta(seconds=first), timedelta(seconds=cap))


@given(st.integers(0, 20).filter(lambda p: p not in (4, 5, 6, 7)))
def test_only_terminal_phases_are_accepted(phase: int) -> None:
    notification = nt.Notification(
        phases=[phase],  # type: ignore[list-item]
        webhook=nt.WebhookNotification(url="https://example.com/hook"),
    )
    with pytest.raises(InvalidArgument) as caught:
        check_notifications([notification], "n")
    assert caught.value.field == "n[0].phases[0]"


@given(st.sampled_from(["ftp", "file", "javascript", "gopher", ""]), st.text(max_size=20))
def test_only_http_urls_are_accepted(scheme: str, rest: str) -> None:
    notification = nt.Notification(
        phases=[pb.EXECUTION_PHASE_FAILED],
        webhook=nt.WebhookNotification(url=f"{scheme}://{rest}"),
    )
    with pytest.raises(InvalidArgument) as caught:
        check_notifications([notification], "n")
    assert caught.value.field == "n[0].webhook.url"


@pytest.mark.parametrize("url", ["http://[", "https://]x", "http://", "https:///path"])
def test_an_http_url_without_a_usable_host_is_refused(url: str) -> None:
    notification = nt.Notification(
        phases=[pb.EXECUTION_PHASE_FAILED], webhook=nt.WebhookNotification(url=url)
    )
    with pytest.raises(InvalidArgument) as caught:
        check_notifications([notification], "n")
    assert caught.value.field == "n[0].webhook.url"
