"""What every bus promises (service/events/bus.py), run on the in-process and the Redis bus."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from service.events import EventBus, SubscriberTooSlow
from tests.events.factory import event, receive


async def test_a_started_bus_is_healthy(bus: EventBus) -> None:
    health = bus.health()
    assert health.ok
    assert health.status == "ok"
    assert health.dropped == 0


async def test_a_subscriber_receives_its_organizations_events_only(bus: EventBus, org: str) -> None:
    other = f"org-{uuid4().hex}"
    async with bus.subscribe(org) as mine, bus.subscribe(other) as theirs:
        await bus.publish(other, event(other, 1))
        await bus.publish(org, event(org, 1))
        # Had the other organization's event leaked, it would come first.
        assert await receive(mine) == event(org, 1)
        assert await receive(theirs) == event(other, 1)


async def test_events_arrive_in_the_order_they_were_published(bus: EventBus, org: str) -> None:
    async with bus.subscribe(org) as events:
        for sequence in range(1, 21):
            await bus.publish(org, event(org, sequence))
        assert [(await receive(events)).sequence for _ in range(20)] == list(range(1, 21))


async def test_every_subscriber_receives_every_event(bus: EventBus, org: str) -> None:
    async with bus.subscribe(org) as first, bus.subscribe(org) as second:
        for sequence in (1, 2, 3):
            await bus.publish(org, event(org, sequence))
        for subscription in (first, second):
            assert [await receive(subscription) for _ in range(3)] == [
                event(org, 1),
                event(org, 2),
                event(org, 3),
            ]


async def test_events_published_before_subscribing_are_not_delivered(
    bus: EventBus, org: str
) -> None:
    await bus.publish(org, event(org, 1))
    async with bus.subscribe(org) as events:
        await bus.publish(org, event(org, 2))
        assert await receive(events) == event(org, 2)


async def test_a_subscriber_that_left_receives_nothing_more(bus: EventBus, org: str) -> None:
    async with bus.subscribe(org) as staying:
        async with bus.subscribe(org) as leaving:
            await bus.publish(org, event(org, 1))
            assert await receive(leaving) == event(org, 1)
        assert leaving.closed
        await bus.publish(org, event(org, 2))
        assert await receive(staying) == event(org, 1)
        assert await receive(staying) == event(org, 2)
        with pytest.raises(StopAsyncIteration):
            await receive(leaving)


async def test_a_slow_subscriber_is_closed_while_a_fast_one_gets_everything(
    bus: EventBus, org: str
) -> None:
    async with bus.subscribe(org, max_queued=3) as slow, bus.subscribe(org) as fast:
        for sequence in range(1, 11):
            await bus.publish(org, event(org, sequence))
        assert [(await receive(fast)).sequence for _ in range(10)] == list(range(1, 11))
        assert slow.closed
        with pytest.raises(SubscriberTooSlow, match="too slow: more than 3 events queued"):
            await receive(slow)
        with pytest.raises(StopAsyncIteration):
            await receive(slow)
        # The slow one's departure leaves the fast one subscribed.
        await bus.publish(org, event(org, 11))
        assert await receive(fast) == event(org, 11)


async def test_close_ends_the_iterators_and_refuses_new_subscribers(
    bus: EventBus, org: str
) -> None:
    async with bus.subscribe(org) as events:
        waiting = asyncio.create_task(receive(events))
        await asyncio.sleep(0)
        await bus.close()
        with pytest.raises(StopAsyncIteration):
            await waiting
    assert not bus.health().ok
    assert bus.health().reason == "the event bus is closed"
    with pytest.raises(RuntimeError, match="closed"):
        async with bus.subscribe(org):
            pass


async def test_an_event_goes_to_its_own_organization_only(bus: EventBus, org: str) -> None:
    with pytest.raises(ValueError, match="published to"):
        await bus.publish(org, event("someone-else", 1))


async def test_a_subscription_must_be_entered_and_queue_at_least_one(
    bus: EventBus, org: str
) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await receive(bus.subscribe(org))
    with pytest.raises(ValueError, match="max_queued"):
        bus.subscribe(org, max_queued=0)
