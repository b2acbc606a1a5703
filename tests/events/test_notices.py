"""The buses: notices of new changes reach the other instances over Redis; a Redis that is
away, stopped or restarting never holds a write up, and the bus heals by itself."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from service.events import MemoryBus, RedisBus, create_bus
from service.events.redis import CHANNEL, QUEUED
from tests.events.servers import RedisServer, free_port

RECOVERY_TIMEOUT = 10.0


async def eventually(condition: Callable[[], object], within: float = RECOVERY_TIMEOUT) -> None:
    """Wait until `condition()` is true; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {within} s")
        await asyncio.sleep(0.02)


class Heard:
    """The notices a bus handed on."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, int]] = []

    def __call__(self, org_id: str, sequence: int) -> None:
        self.notices.append((org_id, sequence))


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


async def test_the_service_picks_redis_when_given_a_url(redis_url: str) -> None:
    assert isinstance(create_bus(None), MemoryBus)
    assert isinstance(create_bus(""), MemoryBus)
    bus = create_bus(redis_url)
    try:
        assert isinstance(bus, RedisBus)
    finally:
        await bus.close()


async def test_the_in_process_bus_is_healthy_until_closed() -> None:
    bus = MemoryBus()
    heard = Heard()
    await bus.start()
    bus.listen(heard)
    bus.announce("org", 1)
    assert bus.health().ok
    assert heard.notices == []  # one instance: nobody else to tell
    await bus.close()
    assert not bus.health().ok


async def test_a_notice_reaches_the_other_instance_and_not_its_sender(
    instances: tuple[RedisBus, RedisBus], org: str
) -> None:
    a, b = instances
    heard_a, heard_b = Heard(), Heard()
    a.listen(heard_a)
    b.listen(heard_b)
    assert a.health().ok
    a.announce(org, 7)
    a.announce(org, 8)
    await eventually(lambda: (org, 8) in heard_b.notices)
    assert [n for n in heard_b.notices if n[0] == org] == [(org, 7), (org, 8)]
    await asyncio.sleep(0.1)
    assert [n for n in heard_a.notices if n[0] == org] == []


async def test_a_malformed_notice_is_skipped(
    instances: tuple[RedisBus, RedisBus], org: str, redis_url: str
) -> None:
    a, b = instances
    heard = Heard()
    b.listen(heard)
    raw = Redis.from_url(redis_url)
    try:
        await raw.publish(CHANNEL, b"{not a notice")
        a.announce(org, 1)
        await eventually(lambda: (org, 1) in heard.notices)
    finally:
        await raw.aclose()


async def test_an_unreachable_redis_degrades_the_bus_and_announcing_returns_at_once() -> None:
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0", timeout=0.3)
    try:
        await bus.start()
        assert not bus.health().ok
        assert "Redis unreachable" in (bus.health().reason or "")
        started = time.monotonic()
        for n in range(QUEUED + 5):
            bus.announce("org", n)
        assert time.monotonic() - started < 0.1
        # Notices wait out the outage; past the queue's bound the oldest go (and are counted).
        assert bus.health().dropped == 5
    finally:
        await bus.close()


@pytest.mark.slow
async def test_a_stopped_redis_holds_no_announcement_up_and_notices_flow_again_after(
    org: str,
) -> None:
    server = RedisServer(free_port())
    await asyncio.to_thread(server.start)
    a, b = RedisBus(server.url, timeout=0.5), RedisBus(server.url, timeout=0.5)
    heard = Heard()
    try:
        await a.start()
        await b.start()
        b.listen(heard)
        a.announce(org, 1)
        await eventually(lambda: (org, 1) in heard.notices)
        os.kill(server.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            for n in range(2, 200):
                a.announce(org, n)
            assert time.monotonic() - started < 0.05
        finally:
            os.kill(server.pid, signal.SIGCONT)
        a.announce(org, 500)
        await eventually(lambda: (org, 500) in heard.notices, within=4 * RECOVERY_TIMEOUT)
        # And a restart: both ends come back by themselves.
        await asyncio.to_thread(server.stop)
        await eventually(lambda: not b.health().ok)
        await asyncio.to_thread(server.start)
        await eventually(lambda: a.health().ok and b.health().ok, within=4 * RECOVERY_TIMEOUT)
        a.announce(org, 600)
        await eventually(lambda: (org, 600) in heard.notices, within=4 * RECOVERY_TIMEOUT)
    finally:
        await a.close()
        await b.close()
        await asyncio.to_thread(server.stop)
