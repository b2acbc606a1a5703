"""Events to publish and a bounded wait for the next one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from service.events import Event, Subscription

# Long enough for a loaded CI machine, short enough that a lost event fails fast.
RECEIVE_TIMEOUT = 5.0


def event(org_id: str, sequence: int) -> Event:
    """A minimal event of the organization."""
    return Event(
        org_id=org_id,
        sequence=sequence,
        at=datetime(2027, 2, 1, 12, 0, sequence % 60, tzinfo=UTC),
        key_result_id="kr-1",
        cause_check_in_id=f"check-in-{sequence}",
    )


async def receive(subscription: Subscription, within: float = RECEIVE_TIMEOUT) -> Event:
    """The subscription's next event; TimeoutError when none comes `within` seconds."""
    return await asyncio.wait_for(anext(subscription), within)
