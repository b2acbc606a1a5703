"""Local subscribers: a bounded queue each, fanned out per organization; shared by every bus."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType

from service.events.event import Event


class SubscriberTooSlow(Exception):
    """A subscriber fell more than its `max_queued` events behind and was closed."""


def too_slow(max_queued: int, org_id: str) -> str:
    """What a subscriber closed for falling behind is told."""
    return (
        f"subscriber too slow: more than {max_queued} events queued for organization {org_id}; "
        "it was closed, re-query and subscribe again"
    )


class Subscription:
    """The events of one organization published after the subscription was entered.

    Use it as `async with bus.subscribe(org_id) as events: async for event in events: ...`.
    Iteration ends when the subscription or the bus is closed, and raises `SubscriberTooSlow`
    (once, then ends) when more than `max_queued` events waited for this subscriber: the others
    are never held up by it. The bus calls `deliver` and `finish`; nothing else should.
    """

    def __init__(
        self,
        org_id: str,
        *,
        max_queued: int,
        attach: Callable[[Subscription], Awaitable[None]],
        detach: Callable[[Subscription], object],
        scope: str | None = None,
    ) -> None:
        if max_queued < 1:
            raise ValueError("max_queued must be at least 1")
        self.org_id = org_id
        self.scope = scope
        """The one scope (a node's local id) whose moves the subscriber wants, or None for
        every event: a live event that did not move it is never queued, so that a thousand
        subscribers of different scopes are not all woken for each event."""
        self.max_queued = max_queued
        self._attach = attach
        self._detach = detach
        self._queue: deque[Event] = deque()
        self._replayed: deque[Event] = deque()
        self._last = 0  # the sequence of the last event handed out (or skipped as replayed)
        self._wakeup = asyncio.Event()
        self._entered = False
        self._ended = False
        self._failure: Exception | None = None

    async def __aenter__(self) -> Subscription:
        if self._entered:
            raise RuntimeError("a subscription can be entered once")
        self._entered = True
        try:
            await self._attach(self)
        except BaseException:
            # Cancelled or refused while attaching: `__aexit__` will not run, so leave here.
            self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        if not self._entered:
            raise RuntimeError("enter the subscription (`async with`) before iterating it")
        while True:
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise failure
            found = self._next()
            if found is not None:
                return found
            if self._ended:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    def _next(self) -> Event | None:
        """The next event not handed out yet: replayed ones first, then live ones, each
        sequence once."""
        for source in (self._replayed, self._queue):
            while source:
                event = source.popleft()
                if event.sequence > self._last:
                    self._last = event.sequence
                    return event
        return None

    def start_after(self, sequence: int) -> None:
        """Hand out only events of changes after `sequence` (the bus calls this on entry)."""
        self._last = max(self._last, sequence)

    def replay(self, events: list[Event], *, up_to: int) -> None:
        """Hand out `events` (of the changes up to `up_to`) before any live one."""
        self._replayed.extend(events)
        if not events:
            self.start_after(up_to)
        self._wakeup.set()

    @property
    def closed(self) -> bool:
        """True once the subscription no longer receives events."""
        return self._ended

    def close(self) -> None:
        """Stop receiving; iteration ends after nothing more (idempotent)."""
        if not self._ended:
            self.finish()
            self._detach(self)

    def deliver(self, event: Event) -> None:
        """Queue an event without waiting; on overflow, close this subscriber as too slow."""
        if self._ended or (self.scope is not None and not event.moved(self.scope)):
            return
        if len(self._queue) >= self.max_queued:
            self.fail(SubscriberTooSlow(too_slow(self.max_queued, self.org_id)))
            return
        self._queue.append(event)
        self._wakeup.set()

    def fail(self, error: Exception) -> None:
        """End this subscription with `error`, raised to its reader in place of the next
        event (a subscriber too slow, a token that expired)."""
        if not self._ended:
            self._failure = error
            self.close()

    def finish(self) -> None:
        """End iteration: queued events are dropped (the bus is going away)."""
        self._ended = True
        self._queue.clear()
        self._wakeup.set()


class Fanout:
    """The local subscribers of each organization."""

    def __init__(self) -> None:
        self._by_org: dict[str, set[Subscription]] = {}

    def add(self, subscription: Subscription) -> bool:
        """Register a subscriber; True when it is its organization's first."""
        found = self._by_org.setdefault(subscription.org_id, set())
        found.add(subscription)
        return len(found) == 1

    def remove(self, subscription: Subscription) -> bool:
        """Forget a subscriber; True when it was its organization's last."""
        found = self._by_org.get(subscription.org_id)
        if found is None or subscription not in found:
            return False
        found.discard(subscription)
        if found:
            return False
        del self._by_org[subscription.org_id]
        return True

    def has(self, org_id: str) -> bool:
        """Whether the organization has local subscribers."""
        return org_id in self._by_org

    def organizations(self) -> list[str]:
        """The organizations with local subscribers."""
        return list(self._by_org)

    def deliver(self, org_id: str, event: Event) -> None:
        """Hand the event to each of the organization's subscribers, never waiting."""
        # A copy: an overflowing subscriber removes itself while we go.
        for subscription in tuple(self._by_org.get(org_id, ())):
            subscription.deliver(event)

    def finish_all(self) -> None:
        """End every subscriber's iteration and forget them all."""
        for found in self._by_org.values():
            for subscription in found:
                subscription.finish()
        self._by_org.clear()
