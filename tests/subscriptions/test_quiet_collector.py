"""A burst of subscriptions is followed by one full collection once it is over
(service/heap.py), so that the collector's walk over the new subscribers does not fall in the
middle of a later event's delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from service.heap import QuietCollector


class Clock:
    """Timers run when the test says the time has come: no sleeping, no flakiness."""

    def __init__(self) -> None:
        self.pending: list[Timer] = []

    def later(self, delay: float, then: Callable[[], None]) -> Timer:
        timer = Timer(delay, then)
        self.pending.append(timer)
        return timer

    def pass_quiet(self) -> None:
        due, self.pending = self.pending, []
        for timer in due:
            if not timer.cancelled:
                timer.then()


class Timer:
    def __init__(self, delay: float, then: Callable[[], None]) -> None:
        self.delay, self.then, self.cancelled = delay, then, False

    def cancel(self) -> None:
        self.cancelled = True


def test_a_burst_is_collected_once_when_it_is_over() -> None:
    runs: list[None] = []
    clock = Clock()
    collector = QuietCollector(
        burst=3, quiet=0.25, collect=lambda: runs.append(None), later=clock.later
    )
    for _ in range(2):
        collector.changed()
    clock.pass_quiet()
    assert runs == []  # two are no burst
    for _ in range(4):
        collector.changed()  # each newcomer past the burst puts the collection off
    assert [t.cancelled for t in clock.pending] == [True, True, True, False]
    assert {t.delay for t in clock.pending} == {0.25}
    clock.pass_quiet()
    assert (len(runs), collector.collections, collector.pending) == (1, 1, 0)
    clock.pass_quiet()
    assert len(runs) == 1  # nothing new: nothing more
    for _ in range(3):
        collector.changed()  # the count starts again after each collection
    clock.pass_quiet()
    assert len(runs) == 2


async def test_on_the_event_loop_it_collects_after_the_quiet_time() -> None:
    runs: list[None] = []
    collector = QuietCollector(burst=2, quiet=0.01, collect=lambda: runs.append(None))
    collector.changed()
    collector.changed()
    for _ in range(200):
        if runs:
            break
        await asyncio.sleep(0.01)
    assert len(runs) == 1
