"""In-process change notification: a thread waits for a topic to change instead of polling.

Writers publish a topic (an execution, or the queue of claimable work) after they commit;
readers subscribe *before* they read the database, so a change that lands between their read
and their wait still wakes them. Only topics someone is waiting on are tracked, so memory
stays proportional to the waiters.

Notifications cover the writers of this process. Waits take a timeout as a safety net for
writers elsewhere (a second control plane on the same PostgreSQL).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from types import TracebackType

# The topic of new claimable work: published when an execution is queued.
CLAIMABLE = "claimable"


class Cancellation:
    """Says that whoever waits for an answer went away (a client hung up), so a long wait
    on its behalf ends at once instead of holding a thread until its timeout."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Safe from any thread, and more than once."""
        with self._lock:
            callbacks, self._callbacks = self._callbacks, []
            self._cancelled = True
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on cancellation; at once if that already happened."""
        with self._lock:
            if not self._cancelled:
                self._callbacks.append(callback)
                return
        callback()


class Notifier:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        # topic -> [number of subscribers, number of publications since the first subscribed]
        self._topics: dict[Hashable, list[int]] = {}

    def subscribe(self, topic: Hashable, cancellation: Cancellation | None = None) -> Subscription:
        """Interest in ``topic``; a cancellation ends its waits for good."""
        with self._changed:
            self._topics.setdefault(topic, [0, 0])[0] += 1
            subscription = Subscription(self, topic, self._topics[topic][1])
        if cancellation is not None:
            cancellation.on_cancel(subscription.cancel)
        return subscription

    def waiting(self, topic: Hashable) -> int:
        """How many subscriptions to ``topic`` are open: e.g. agents in a long-poll claim."""
        with self._changed:
            return self._topics.get(topic, [0, 0])[0]

    def publish(self, *topics: Hashable) -> None:
        with self._changed:
            woken = False
            for topic in topics:
                counts = self._topics.get(topic)
                if counts is not None:
                    counts[1] += 1
                    woken = True
            if woken:
                self._changed.notify_all()

    def _wait(self, subscription: Subscription, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not subscription.cancelled:
                published = self._topics[subscription.topic][1]
                if published != subscription.seen:
                    subscription.seen = published
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return False

    def _cancel(self, subscription: Subscription) -> None:
        with self._changed:
            subscription.cancelled = True
            self._changed.notify_all()

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._changed:
            counts = self._topics[subscription.topic]
            counts[0] -= 1
            if counts[0] == 0:
                del self._topics[subscription.topic]


class Subscription:
    """Interest in one topic; a context manager so it is always released."""

    def __init__(self, notifier: Notifier, topic: Hashable, seen: int) -> None:
        self._notifier = notifier
        self.topic = topic
        self.seen = seen
        self.cancelled = False

    def wait(self, timeout: float) -> bool:
        """Block until the topic is published after the last wait (True), the timeout passes
        or the subscription is cancelled (False)."""
        return self._notifier._wait(self, timeout)

    def cancel(self) -> None:
        self._notifier._cancel(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._notifier._unsubscribe(self)
