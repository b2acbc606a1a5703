"""Leases as a worker holds them: renewed at half time, and asked for again only a while after
another instance held them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.outbound.lease import Leases
from service.store.mongo import MongoStore


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def test_one_holder_renews_and_the_other_waits_and_asks_little(store: MongoStore) -> None:
    clock = Clock()
    a = Leases(store, holder="a", seconds=9, clock=clock)
    b = Leases(store, holder="b", seconds=9, clock=clock)
    assert await a.hold("x")
    assert not await b.hold("x")
    calls = store.round_trips
    clock.advance(2)
    assert await a.hold("x")  # more than half left: no store call
    assert not await b.hold("x")  # refused 2 s ago (< 3 s): no store call either
    assert store.round_trips == calls
    clock.advance(3)
    assert await a.hold("x")  # renewed (4 s of 9 left)
    assert not await b.hold("x")
    await a.release_all()
    assert not a.holds("x")
    clock.advance(1)
    assert not await b.hold("x")  # still within the 3 s after its last refusal
    clock.advance(2.5)
    assert await b.hold("x")
    assert b.holds("x")
