"""Work in a worker thread stops within a slice once the request waiting for it is cancelled."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from service.readmodel.offloop import Stopped, off_loop, sliced


async def test_cancelling_the_waiter_stops_the_thread_between_slices() -> None:
    slices: list[int] = []
    started = threading.Event()
    ended = threading.Event()
    outcome: list[str] = []

    def work(check: Callable[[], None]) -> int:
        try:
            for item in sliced(range(10_000_000), check, size=1):
                slices.append(item)
                started.set()
                time.sleep(0.001)
        except Stopped:
            outcome.append("stopped")
            raise
        finally:
            ended.set()
        return len(slices)

    task = asyncio.ensure_future(off_loop(work))
    assert await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(ended.wait, 5)
    assert outcome == ["stopped"]
    assert len(slices) < 10_000


async def test_work_left_alone_runs_to_its_end() -> None:
    def work(check: Callable[[], None]) -> int:
        return sum(sliced(range(10_000), check, size=100))

    assert await off_loop(work) == sum(range(10_000))
