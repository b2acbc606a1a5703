"""The service picks its bus from the settings: Redis when a URL is given, else in process."""

from __future__ import annotations

from service.events import MemoryBus, RedisBus, create_bus


async def test_without_a_redis_url_the_bus_is_in_process() -> None:
    assert isinstance(create_bus(None), MemoryBus)
    assert isinstance(create_bus(""), MemoryBus)


async def test_with_a_redis_url_the_bus_is_redis(redis_url: str) -> None:
    bus = create_bus(redis_url)
    try:
        assert isinstance(bus, RedisBus)
    finally:
        await bus.close()
