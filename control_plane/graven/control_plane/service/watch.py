"""In-process change notification: a waiter sleeps until a topic changes instead of polling.

Writers publish a topic (an execution, or the queue of claimable work) after they commit, from
any thread; readers subscribe *before* they read the database, so a change that lands between
their read and their wait still wakes them. Waits are asyncio waits on the server's event loop:
a waiting stream or long poll holds no thread, and a publish wakes it with
call_soon_threadsafe. Only topics someone is waiting on are tracked, so memory stays
proportional to the waiters.

Notifications cover the writers of this process. Waits take a timeout as a safety net for
writers elsewhere (a second control plane on the same PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Hashable
from types import TracebackType
from typing import Protocol, TypeVar

T = TypeVar("T")

# The topic of new claimable work: published when an execution is queued.
CLAIMABLE = "claimable"


class Offload(Protocol):
    """Runs blocking work (SQL, the store) off the event loop, on a bounded thread pool."""

    def __call__(self, work: Callable[[], T], /) -> Awaitable[T]: ...


class Cancellation:
    """Says that whoever waits for an answer went away (a client hung up), so a long wait
    on its behalf ends at once instead of at its timeout."""

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


class _Topic:
    __slots__ = ("published", "subscriptions")

    def __init__(self) -> None:
        self.subscriptions: set[Subscription] = set()
        # Publications since the first subscriber came; a subscription remembers how many
        # it has seen, so a publication between two waits is never missed.
        self.published = 0


class Notifier:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._topics: dict[Hashable, _Topic] = {}

    def subscribe(self, topic: Hashable, cancellation: Cancellation | None = None) -> Subscription:
        """Interest in ``topic``; a cancellation ends its waits for good."""
        with self._lock:
            state = self._topics.setdefault(topic, _Topic())
            subscription = Subscription(self, topic, state.published)
            state.subscriptions.add(subscription)
        if cancellation is not None:
            cancellation.on_cancel(subscription.cancel)
        return subscription

    def waiting(self, topic: Hashable) -> int:
        """How many subscriptions to ``topic`` are open: e.g. agents in a long-poll claim."""
        with self._lock:
            state = self._topics.get(topic)
            return 0 if state is None else len(state.subscriptions)

    def publish(self, *topics: Hashable) -> None:
        """Safe from any thread."""
        wakers: list[Callable[[], None]] = []
        with self._lock:
            for topic in topics:
                state = self._topics.get(topic)
                if state is not None:
                    state.published += 1
                    wakers.extend(s.waker for s in state.subscriptions if s.waker is not None)
        for wake in wakers:
            wake()

    async def _wait(self, subscription: Subscription, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()

        def wake() -> None:
            # A waker taken just before its wait ended may find the loop closed: nobody
            # waits any more, so there is nothing to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(woken.set)

        with self._lock:
            if subscription.cancelled or self._seen_news(subscription):
                return not subscription.cancelled
            subscription.waker = wake
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await woken.wait()
        finally:
            with self._lock:
                subscription.waker = None
        with self._lock:
            return not subscription.cancelled and self._seen_news(subscription)

    def _seen_news(self, subscription: Subscription) -> bool:
        """Whether the topic was published since the subscription last looked (the lock is
        held)."""
        published = self._topics[subscription.topic].published
        if published == subscription.seen:
            return False
        subscription.seen = published
        return True

    def _cancel(self, subscription: Subscription) -> None:
        with self._lock:
            subscription.cancelled = True
            waker = subscription.waker
        if waker is not None:
            waker()

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            state = self._topics[subscription.topic]
            state.subscriptions.discard(subscription)
            if not state.subscriptions:
                del self._topics[subscription.topic]


class Subscription:
    """Interest in one topic; a context manager so it is always released."""

    def __init__(self, notifier: Notifier, topic: Hashable, seen: int) -> None:
        self._notifier = notifier
        self.topic = topic
        self.seen = seen
        self.cancelled = False
        # Set while a wait is under way: wakes it from any thread.
        self.waker: Callable[[], None] | None = None

    async def wait(self, timeout: float) -> bool:
        """Wait until the topic is published after the last wait (True), the timeout passes
        or the subscription is cancelled (False)."""
        return await self._notifier._wait(self, timeout)

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
