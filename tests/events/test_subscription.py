"""A local subscriber: its own bounded queue, in order, replayed events first and each sequence
once, closed alone when it falls behind."""

from __future__ import annotations

import asyncio

import pytest

from service.events import SubscriberTooSlow, Subscription
from service.events.subscription import Fanout
from tests.events.factory import event, receive


def subscription(fanout: Fanout, org: str, max_queued: int = 100) -> Subscription:
    async def attach(made: Subscription) -> None:
        fanout.add(made)

    return Subscription(org, max_queued=max_queued, attach=attach, detach=fanout.remove)


async def test_a_subscriber_receives_its_organizations_events_in_order(org: str) -> None:
    fanout = Fanout()
    async with subscription(fanout, org) as events:
        fanout.deliver("another", event("another", 1))
        for n in (1, 2, 3):
            fanout.deliver(org, event(org, n))
        assert [await receive(events) for _ in range(3)] == [event(org, n) for n in (1, 2, 3)]


async def test_replayed_events_come_first_and_no_sequence_comes_twice(org: str) -> None:
    fanout = Fanout()
    async with subscription(fanout, org) as events:
        fanout.deliver(org, event(org, 6))  # live, arrived while the replay was worked out
        events.replay([event(org, 3), event(org, 5)], up_to=5)
        fanout.deliver(org, event(org, 5))  # the same change again: dropped
        fanout.deliver(org, event(org, 7))
        got = [await receive(events) for _ in range(4)]
        assert [e.sequence for e in got] == [3, 5, 6, 7]


async def test_a_start_position_skips_what_came_before(org: str) -> None:
    fanout = Fanout()
    async with subscription(fanout, org) as events:
        events.start_after(4)
        for n in (3, 4, 5):
            fanout.deliver(org, event(org, n))
        assert (await receive(events)).sequence == 5


async def test_a_slow_subscriber_is_closed_while_a_fast_one_gets_everything(org: str) -> None:
    fanout = Fanout()
    async with subscription(fanout, org, max_queued=2) as slow, subscription(fanout, org) as fast:
        for n in range(1, 5):
            fanout.deliver(org, event(org, n))
        with pytest.raises(SubscriberTooSlow):
            await receive(slow)
        assert slow.closed
        assert [(await receive(fast)).sequence for _ in range(4)] == [1, 2, 3, 4]


async def test_a_subscriber_that_left_receives_nothing_more(org: str) -> None:
    fanout = Fanout()
    async with subscription(fanout, org) as events:
        pass
    assert events.closed
    assert not fanout.has(org)
    fanout.deliver(org, event(org, 1))
    with pytest.raises(StopAsyncIteration):
        await anext(events)


async def test_finishing_ends_every_iterator(org: str) -> None:
    fanout = Fanout()
    async with subscription(fanout, org) as events:
        waiting = asyncio.create_task(anext(events))
        await asyncio.sleep(0)
        fanout.finish_all()
        with pytest.raises(StopAsyncIteration):
            await waiting


async def test_a_subscription_must_be_entered_and_queue_at_least_one(org: str) -> None:
    fanout = Fanout()
    with pytest.raises(ValueError, match="at least 1"):
        subscription(fanout, org, max_queued=0)
    made = subscription(fanout, org)
    with pytest.raises(RuntimeError, match="enter"):
        await anext(made)
    async with made:
        with pytest.raises(RuntimeError, match="entered once"):
            await made.__aenter__()
