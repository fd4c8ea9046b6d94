"""Group commit: concurrent calls share a write, each gets its own result."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from graven.control_plane.service.group_commit import GroupCommit

DEADLINE_S = 10.0


def wait_until_queued(group: GroupCommit[int, int], count: int) -> None:
    """Until ``count`` calls wait for the next batch (they block inside submit, so nothing
    they do can signal it; the queue is the only witness)."""
    deadline = time.monotonic() + DEADLINE_S
    while len(group._queue) < count:
        assert time.monotonic() < deadline, f"{len(group._queue)} of {count} calls queued"
        time.sleep(0.001)


def test_each_caller_gets_the_result_of_its_own_item() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda batch: [-item for item in batch])
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(group.submit, range(200)))
    assert results == [-item for item in range(200)]


def test_calls_arriving_during_a_write_are_written_together() -> None:
    batches: list[list[int]] = []
    first_write_started = threading.Event()
    release_first = threading.Event()

    def write(batch: Sequence[int]) -> list[int]:
        batches.append(list(batch))
        if len(batches) == 1:
            first_write_started.set()
            assert release_first.wait(DEADLINE_S)
        return [item * 10 for item in batch]

    group: GroupCommit[int, int] = GroupCommit(write)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(group.submit, 0)
        assert first_write_started.wait(DEADLINE_S)
        later = [pool.submit(group.submit, item) for item in range(1, 8)]
        wait_until_queued(group, 7)
        release_first.set()
        assert first.result() == 0
        assert sorted(f.result() for f in later) == [item * 10 for item in range(1, 8)]
    assert batches[0] == [0]
    assert sorted(batches[1]) == list(range(1, 8))
    assert len(batches) == 2


def test_a_batch_is_never_larger_than_the_limit() -> None:
    sizes: list[int] = []
    release = threading.Event()

    def write(batch: Sequence[int]) -> list[int]:
        sizes.append(len(batch))
        assert release.wait(DEADLINE_S)
        return list(batch)

    group: GroupCommit[int, int] = GroupCommit(write, max_batch=3)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(group.submit, 0)]
        futures += [pool.submit(group.submit, item) for item in range(1, 8)]
        wait_until_queued(group, 7)
        release.set()
        assert sorted(f.result() for f in futures) == list(range(8))
    assert sizes == [1, 3, 3, 1]


def test_a_failed_write_fails_its_batch_only() -> None:
    release = threading.Event()

    def write(batch: Sequence[int]) -> list[int]:
        if 0 in batch:
            assert release.wait(DEADLINE_S)
            return list(batch)
        if 13 in batch:
            raise OSError("disk full")
        return list(batch)

    group: GroupCommit[int, int] = GroupCommit(write)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(group.submit, 0)
        doomed = [pool.submit(group.submit, item) for item in (12, 13, 14)]
        wait_until_queued(group, 3)
        release.set()
        assert first.result() == 0
        for future in doomed:
            with pytest.raises(OSError, match="disk full"):
                future.result()
    assert group.submit(15) == 15


def test_a_write_returning_the_wrong_number_of_results_fails_the_batch() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda batch: [])
    with pytest.raises(ValueError, match="shorter"):
        group.submit(1)
