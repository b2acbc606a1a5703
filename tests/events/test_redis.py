"""What only the Redis bus does: cross instances, share one channel, and outlive Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from service.events import RedisBus
from service.events.redis import channel
from tests.events.factory import event, receive
from tests.events.servers import RedisServer, free_port

RECOVERY_TIMEOUT = 10.0


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    """A plain client to the same Redis, to look at channels and publish by hand."""
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def instances(redis_url: str) -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    """Two buses with their own connections, as two instances of the service have."""
    a, b = RedisBus(redis_url), RedisBus(redis_url)
    await a.start()
    await b.start()
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def eventually(condition: Callable[[], object]) -> None:
    """Wait until `condition()` is true; fail after RECOVERY_TIMEOUT seconds."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {RECOVERY_TIMEOUT} s")
        await asyncio.sleep(0.05)


async def subscribers(raw: Redis, org: str) -> int:
    """How many connections Redis has subscribed to the organization's channel."""
    found = await raw.pubsub_numsub(channel(org))
    return int(found[0][1])


async def until_subscribers(raw: Redis, org: str, count: int) -> None:
    """Wait until that many connections are subscribed (leaving a channel is asynchronous)."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while (found := await subscribers(raw, org)) != count:
        if time.monotonic() > deadline:
            pytest.fail(f"{found} connections subscribed, expected {count}")
        await asyncio.sleep(0.02)


async def test_an_event_published_on_one_instance_reaches_a_subscriber_on_another(
    instances: tuple[RedisBus, RedisBus], org: str
) -> None:
    a, b = instances
    async with a.subscribe(org) as on_a, b.subscribe(org) as on_b:
        await b.publish(org, event(org, 1))
        assert await receive(on_a) == event(org, 1)
        assert await receive(on_b) == event(org, 1)


async def test_local_subscribers_share_one_channel_subscription_per_instance(
    instances: tuple[RedisBus, RedisBus], raw: Redis, org: str
) -> None:
    a, b = instances
    async with a.subscribe(org) as first:
        async with a.subscribe(org), a.subscribe(org), b.subscribe(org):
            assert await subscribers(raw, org) == 2
        await until_subscribers(raw, org, 1)
        await b.publish(org, event(org, 1))
        assert await receive(first) == event(org, 1)
    await until_subscribers(raw, org, 0)


async def test_a_malformed_message_is_skipped(
    instances: tuple[RedisBus, RedisBus], raw: Redis, org: str
) -> None:
    a, _ = instances
    async with a.subscribe(org) as events:
        await raw.publish(channel(org), b"{not an event")
        await a.publish(org, event(org, 1))
        assert await receive(events) == event(org, 1)


async def test_an_unreachable_redis_degrades_the_bus_and_publishing_still_returns(
    org: str,
) -> None:
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    try:
        await bus.start()
        assert not bus.health().ok
        assert "Redis unreachable" in (bus.health().reason or "")
        await bus.publish(org, event(org, 1))
        await bus.publish(org, event(org, 2))
        assert bus.health().dropped == 2
        async with bus.subscribe(org) as events:
            assert not events.closed
    finally:
        await bus.close()


@pytest.mark.slow
async def test_a_redis_restart_is_survived_by_publishers_and_subscribers(org: str) -> None:
    server = RedisServer(free_port())
    await asyncio.to_thread(server.start)
    bus = RedisBus(server.url)
    try:
        await bus.start()
        async with bus.subscribe(org) as events:
            await bus.publish(org, event(org, 1))
            assert await receive(events) == event(org, 1)
            waiting = asyncio.create_task(receive(events, within=4 * RECOVERY_TIMEOUT))

            await asyncio.to_thread(server.stop)
            await eventually(lambda: not bus.health().ok)
            assert "Redis unreachable" in (bus.health().reason or "")
            await bus.publish(org, event(org, 2))  # dropped, not raised
            assert bus.health().dropped == 1

            await asyncio.to_thread(server.start)
            await eventually(lambda: bus.health().ok)
            assert not waiting.done()
            await bus.publish(org, event(org, 3))
            assert await waiting == event(org, 3)
            assert bus.health().dropped == 1
    finally:
        await bus.close()
        await asyncio.to_thread(server.stop)


@pytest.mark.slow
async def test_a_subscription_made_while_redis_is_down_receives_once_it_is_up(org: str) -> None:
    server = RedisServer(free_port())
    bus = RedisBus(server.url)
    try:
        await bus.start()
        assert not bus.health().ok
        async with bus.subscribe(org) as events:
            await asyncio.to_thread(server.start)
            await eventually(lambda: bus.health().ok)
            await bus.publish(org, event(org, 1))
            assert await receive(events) == event(org, 1)
    finally:
        await bus.close()
        await asyncio.to_thread(server.stop)
