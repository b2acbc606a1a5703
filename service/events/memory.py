"""The in-process bus: one instance, no broker; the default when no Redis is configured."""

from __future__ import annotations

from service.events.bus import CLOSED, BusHealth, check_organization
from service.events.event import Event
from service.events.subscription import Fanout, Subscription


class MemoryBus:
    """Delivers each event straight to this process's subscribers (`EventBus`)."""

    def __init__(self) -> None:
        self._fanout = Fanout()
        self._closed = False

    async def start(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """End every subscription."""
        self._closed = True
        self._fanout.finish_all()

    async def publish(self, org_id: str, event: Event) -> None:
        """Queue the event for each local subscriber of the organization."""
        check_organization(org_id, event)
        self._fanout.deliver(org_id, event)

    def subscribe(self, org_id: str, *, max_queued: int = 100) -> Subscription:
        """A subscription to the organization's events (enter it to start receiving)."""
        return Subscription(
            org_id, max_queued=max_queued, attach=self._attach, detach=self._fanout.remove
        )

    def health(self) -> BusHealth:
        """Always ok until closed."""
        return BusHealth(ok=False, reason=CLOSED) if self._closed else BusHealth(ok=True)

    async def _attach(self, subscription: Subscription) -> None:
        if self._closed:
            raise RuntimeError(CLOSED)
        self._fanout.add(subscription)
