"""Progress events: derived from the change log (`EventStream`), with a bus that tells other
instances of new changes (in-process for one instance, Redis for several)."""

from __future__ import annotations

from service.events.bus import BusHealth, NoticeBus
from service.events.event import Event, PlainProgress, ScopeChange
from service.events.memory import MemoryBus
from service.events.redis import RedisBus
from service.events.stream import EventStream, ResumeTooOld
from service.events.subscription import SubscriberTooSlow, Subscription


def create_bus(redis_url: str | None) -> NoticeBus:
    """The Redis bus when a URL is configured, else the in-process one (not started yet)."""
    return RedisBus(redis_url) if redis_url else MemoryBus()


__all__ = [
    "BusHealth",
    "Event",
    "EventStream",
    "MemoryBus",
    "NoticeBus",
    "PlainProgress",
    "RedisBus",
    "ResumeTooOld",
    "ScopeChange",
    "SubscriberTooSlow",
    "Subscription",
    "create_bus",
]
