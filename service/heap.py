"""When the garbage collector walks the whole heap: at a quiet moment, not during an event.

A WebSocket subscriber keeps a few hundred objects alive (its socket, tasks, queue, feed
membership). While a thousand of them connect, CPython's collector runs full collections as
the heap grows, each walking every object; the last of them tends to fall a few events later,
and pauses that event's delivery to every subscriber by the time the walk takes (0.2-0.3 s for
a thousand subscribers on these machines); a thousand leaving leave as much cyclic garbage,
which waits for such a collection too. `QuietCollector` runs that collection itself, once a
burst of subscriptions beginning or ending is over and none has come for a moment: the
survivors are then counted as long-lived, so the collector has no reason to walk them again
until the heap grows by a quarter more.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

BURST = 100
"""Subscriptions begun or ended that make a burst worth a collection of its own."""
QUIET = 0.25
"""Seconds without one that end a burst."""


class Timer(Protocol):
    def cancel(self) -> None: ...


def _later(delay: float, then: Callable[[], None]) -> Timer:
    return asyncio.get_running_loop().call_later(delay, then)


class QuietCollector:
    """Counts subscriptions begun and ended; after `burst`, runs `collect` once none has for
    `quiet` seconds (each newcomer puts it off again), timed by `later` (the running event
    loop's `call_later`)."""

    def __init__(
        self,
        *,
        burst: int = BURST,
        quiet: float = QUIET,
        collect: Callable[[], object] = gc.collect,
        later: Callable[[float, Callable[[], None]], Timer] = _later,
    ) -> None:
        self.burst = burst
        self.quiet = quiet
        self._collect = collect
        self._later = later
        self._since = 0
        self._timer: Timer | None = None
        self.collections = 0
        """How many collections it ran."""

    @property
    def pending(self) -> int:
        """Subscriptions begun or ended since the last collection."""
        return self._since

    def changed(self) -> None:
        """One subscription more, or one fewer."""
        self._since += 1
        if self._since < self.burst:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._later(self.quiet, self._run)

    def _run(self) -> None:
        self._timer = None
        arrived, self._since = self._since, 0
        started = time.perf_counter()
        self._collect()
        self.collections += 1
        log.info(
            "collected after a burst of %d subscriptions begun or ended in %.0f ms",
            arrived,
            1000 * (time.perf_counter() - started),
        )
