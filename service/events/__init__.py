"""Progress events between instances: the bus Protocol, in-process and Redis implementations."""

from __future__ import annotations

from service.events.bus import BusHealth, EventBus
from service.events.event import Event, PlainProgress, ScopeChange
from service.events.memory import MemoryBus
from service.events.redis import RedisBus
from service.events.subscription import SubscriberTooSlow, Subscription


def create_bus(redis_url: str | None) -> EventBus:
    """The Redis bus when a URL is configured, else the in-process one (not started yet)."""
    return RedisBus(redis_url) if redis_url else MemoryBus()


__all__ = [
    "BusHealth",
    "Event",
    "EventBus",
    "MemoryBus",
    "PlainProgress",
    "RedisBus",
    "ScopeChange",
    "SubscriberTooSlow",
    "Subscription",
    "create_bus",
]
