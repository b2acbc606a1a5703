"""When the garbage collector walks the whole heap: as subscriptions come and go, not later.

A WebSocket subscriber keeps a few hundred objects alive (its socket, tasks, queue, feed
membership). CPython starts a full collection, which walks every object, once the objects that
outlived the younger collections exceed a quarter of those the last full one found. While a
thousand subscribers connect that happens several times, and the last time tends to fall a
few events after they are all in, pausing that event's delivery to every subscriber for the
walk (0.2-0.3 s for a thousand subscribers on these machines); a thousand leaving leave cyclic
garbage that waits for such a walk too.

`ChurnCollector` runs those collections itself, as the subscriptions change: each time a
quarter as many subscriptions as there are (at least `BURST`) have begun or ended since the
last. The walks the collector would have made anyway then happen while subscribers connect or
leave, and the last of a burst leaves it no reason to walk them again during the events that
follow (the heap has to grow by another quarter first).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

BURST = 100
"""The fewest subscriptions begun or ended that are worth a collection of their own."""


class ChurnCollector:
    """Counts subscriptions begun and ended, and runs `collect` each time they reach a quarter
    of the subscriptions there are (at least `burst`)."""

    def __init__(self, *, burst: int = BURST, collect: Callable[[], object] = gc.collect) -> None:
        self.burst = burst
        self._collect = collect
        self._since = 0
        self.collections = 0
        """How many collections it ran."""

    @property
    def pending(self) -> int:
        """Subscriptions begun or ended since the last collection."""
        return self._since

    def changed(self, subscriptions: int) -> None:
        """One subscription more or one fewer; `subscriptions` are there now."""
        self._since += 1
        if self._since < max(self.burst, subscriptions // 4):
            return
        changed, self._since = self._since, 0
        started = time.perf_counter()
        self._collect()
        self.collections += 1
        log.info(
            "collected after %d subscriptions began or ended (%d now) in %.0f ms",
            changed,
            subscriptions,
            1000 * (time.perf_counter() - started),
        )
