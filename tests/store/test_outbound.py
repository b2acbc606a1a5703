"""Leases, positions, webhooks and deliveries on every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from service.outbound.model import Delivery, DeliveryStatus, Position, Webhook, delivery_id
from service.store.interface import Store
from tests.store import factory


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(store: Store) -> None:
    t0 = factory.T0
    assert await store.take_lease("nats:o1", "a", now=t0, seconds=10)
    assert not await store.take_lease("nats:o1", "b", now=t0 + timedelta(seconds=5), seconds=10)
    # The holder renews; another still cannot take it.
    assert await store.take_lease("nats:o1", "a", now=t0 + timedelta(seconds=5), seconds=10)
    assert not await store.take_lease("nats:o1", "b", now=t0 + timedelta(seconds=12), seconds=10)
    # Expired: the next taker wins, and the old holder is out.
    assert await store.take_lease("nats:o1", "b", now=t0 + timedelta(seconds=16), seconds=10)
    assert not await store.take_lease("nats:o1", "a", now=t0 + timedelta(seconds=17), seconds=10)
    # Released: anyone takes it at once; a release by a non-holder does nothing.
    await store.release_lease("nats:o1", "a")
    assert not await store.take_lease("nats:o1", "c", now=t0 + timedelta(seconds=17), seconds=10)
    await store.release_lease("nats:o1", "b")
    assert await store.take_lease("nats:o1", "c", now=t0 + timedelta(seconds=17), seconds=10)
    # Another name is another lease.
    assert await store.take_lease("nats:o2", "a", now=t0, seconds=10)


async def test_positions_are_kept(store: Store) -> None:
    assert await store.get_position("nats:o1") is None
    await store.save_position("nats:o1", Position(5))
    await store.save_position("nats:o1", Position(3, rewinds=1))
    assert await store.get_position("nats:o1") == Position(3, rewinds=1)


async def test_webhooks_and_deliveries_round_trip_per_organization(store: Store) -> None:
    t0 = factory.T0
    hook = Webhook(
        id="h1",
        org_id="o1",
        url="https://example.com/hook",
        scopes=("kr-1",),
        events=("com.okrgraph.progress.changed",),
        secret="whsec_c2VjcmV0",
        created_at=t0,
        start_after=4,
        created_by="alice",
        previous_secret="whsec_b2xk",
        previous_until=t0 + timedelta(hours=24),
    )
    await store.put_webhook("o1", hook)
    other = Webhook(
        id="h2", org_id="o2", url="https://x.test", scopes=(), events=(), secret="s",
        created_at=t0, start_after=0,
    )  # fmt: skip
    await store.put_webhook("o2", other)
    assert await store.get_webhook("o1", "h1") == hook
    assert await store.get_webhook("o2", "h1") is None
    assert await store.list_webhooks("o1") == [hook]
    assert await store.all_webhooks(after=None, limit=10) == [hook, other]
    assert await store.all_webhooks(after="h1", limit=10) == [other]
    deliveries = [
        Delivery(
            id=delivery_id("h1", sequence),
            webhook_id="h1",
            org_id="o1",
            sequence=sequence,
            event_type="com.okrgraph.progress.changed",
            message_id=f"msg_{sequence}",
            status=DeliveryStatus.DELIVERED,
            attempts=1,
            first_attempt_at=t0,
            last_attempt_at=t0,
            response_code=200,
            latency_ms=12.5,
        )
        for sequence in (5, 6, 7)
    ]
    for delivery in deliveries:
        await store.put_delivery("o1", delivery)
    first = await store.page_deliveries("o1", "h1", after=None, limit=2)
    assert first.items == [deliveries[2], deliveries[1]]
    assert first.has_next
    assert first.total == 3
    rest = await store.page_deliveries("o1", "h1", after=first.items[-1].id, limit=2)
    assert rest.items == [deliveries[0]]
    assert (await store.page_deliveries("o2", "h1", after=None, limit=2)).items == []
    stuck = replace(deliveries[0], id="h1:000000000004", sequence=4, status=DeliveryStatus.PENDING)
    await store.put_delivery("o1", stuck)
    assert await store.prune_deliveries("o1", "h1", before=t0) == 0
    assert await store.prune_deliveries("o1", "h1", before=t0 + timedelta(days=1)) == 3
    left = await store.page_deliveries("o1", "h1", after=None, limit=10)
    assert left.items == [stuck]
    assert await store.delete_webhook("o2", "h1") is False
    assert await store.delete_webhook("o1", "h1") is True
    assert await store.get_webhook("o1", "h1") is None
    assert (await store.page_deliveries("o1", "h1", after=None, limit=2)).items == []
