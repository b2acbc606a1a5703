"""Leases an instance holds in the store, so that one instance at a time works on a thing
(publishes an organization, delivers to an endpoint).

A lease is taken for `seconds` and renewed once half of that has gone, so the store hears of a
live holder every `seconds / 2` at most, and a holder that died frees its leases after
`seconds`. A lease held elsewhere is asked for again only after `seconds / 3`, so instances
that wait for one cost the store little. Whoever loses a lease stops at its next check: work
is done in steps short against the lease, and each step checks first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from service.domain.errors import StoreUnavailable
from service.store.interface import Store

logger = logging.getLogger(__name__)

SECONDS = 15.0
"""How long a lease lasts without renewal."""


async def woken(event: asyncio.Event, seconds: float) -> None:
    """Wait until `event` is set or `seconds` have passed (`asyncio.timeout`, which never swallows
    a cancellation the way `asyncio.wait_for` can in Python 3.11)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


async def stop(tasks: Iterable[asyncio.Task[None]], *, grace: float = 0.0) -> None:
    """Let the tasks finish for up to `grace` seconds, then cancel them and wait until they are
    done, cancelling again while one goes on: a library call that swallows a cancellation (some
    drivers do) must not keep a task alive."""
    pending = {t for t in tasks if not t.done()}
    if pending and grace > 0:
        _, pending = await asyncio.wait(pending, timeout=grace)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_holder() -> str:
    """A name for this instance's leases, different in every process."""
    return uuid.uuid4().hex


class Leases:
    """The leases one worker of this instance holds (see the module's doc)."""

    def __init__(
        self,
        store: Store,
        *,
        holder: str | None = None,
        seconds: float = SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.holder = holder or new_holder()
        self.seconds = seconds
        self.clock = clock
        self._until: dict[str, datetime] = {}
        self._refused: dict[str, datetime] = {}

    def holds(self, name: str) -> bool:
        """Whether the lease is held, as far as this instance knows without asking."""
        until = self._until.get(name)
        return until is not None and self.clock() < until

    async def hold(self, name: str) -> bool:
        """Take or renew the lease when it needs it; whether this instance holds it now."""
        now = self.clock()
        until = self._until.get(name)
        if until is not None and until - now > timedelta(seconds=self.seconds / 2):
            return True
        refused = self._refused.get(name)
        if until is None and refused is not None and now < refused:
            return False  # held elsewhere a moment ago: ask the store again a little later
        try:
            taken = await self.store.take_lease(name, self.holder, now=now, seconds=self.seconds)
        except StoreUnavailable as error:
            logger.info("could not renew lease %s: %s", name, error)
            taken = False
        if taken:
            # The margin: stop short of the store's expiry, whatever the clocks' drift.
            self._until[name] = now + timedelta(seconds=self.seconds * 0.9)
            self._refused.pop(name, None)
        else:
            self._until.pop(name, None)
            self._refused[name] = now + timedelta(seconds=self.seconds / 3)
            if len(self._refused) > 10_000:
                self._refused = {k: v for k, v in self._refused.items() if v > now}
        return taken

    async def release(self, name: str) -> None:
        """Give one lease up."""
        if self._until.pop(name, None) is None:
            return
        try:
            await self.store.release_lease(name, self.holder)
        except StoreUnavailable as error:
            logger.info("lease %s runs out by itself: %s", name, error)

    async def release_all(self) -> None:
        """Give every lease up (on shutdown, so others take over at once)."""
        for name in list(self._until):
            await self.release(name)
