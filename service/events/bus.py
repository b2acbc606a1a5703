"""The event bus contract: progress events carried between instances, per organization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from service.events.event import Event
from service.events.subscription import Subscription


@dataclass(frozen=True, slots=True)
class BusHealth:
    """Whether the bus carries events now; `dropped` counts events published but lost."""

    ok: bool
    reason: str | None = None
    dropped: int = 0

    @property
    def status(self) -> str:
        """`ok` or `degraded`, as /readyz reports it."""
        return "ok" if self.ok else "degraded"


class EventBus(Protocol):
    """Carries progress events to the subscribers of an organization on every instance.

    Delivery is best effort: an event published while the bus cannot reach its broker is dropped
    (and counted), never raised to the publisher, so writes keep working; subscribers see the gap
    in `Event.sequence` and re-query. Events of one organization published from one instance
    arrive in the order they were published.
    """

    async def start(self) -> None:
        """Begin carrying events. Returns once the broker was tried once, reached or not: an
        unreachable broker leaves the bus degraded and retried in the background."""
        ...

    async def close(self) -> None:
        """Stop: every subscription's iteration ends, connections are closed. Idempotent."""
        ...

    async def publish(self, org_id: str, event: Event) -> None:
        """Send `event` to the subscribers of `org_id` on every instance.

        Never raises because the broker is unreachable (the event is dropped, logged and counted
        in `health().dropped`); raises ValueError if `event.org_id` is not `org_id`.
        """
        ...

    def subscribe(self, org_id: str, *, max_queued: int = 100) -> Subscription:
        """The events of `org_id` published by any instance after the subscription is entered
        (`async with`). A subscriber more than `max_queued` events behind is closed with
        `SubscriberTooSlow`; subscriptions stay open while the broker is away and receive again
        once it is back. Entering raises RuntimeError once the bus is closed."""
        ...

    def health(self) -> BusHealth:
        """Ok, or degraded with the reason (broker unreachable, bus closed)."""
        ...


def check_organization(org_id: str, event: Event) -> None:
    """An event goes to its own organization's channel only."""
    if event.org_id != org_id:
        raise ValueError(f"event of organization {event.org_id!r} published to {org_id!r}")


CLOSED = "the event bus is closed"
