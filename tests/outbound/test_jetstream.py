"""Every change reaches JetStream once, in order, from the log: across publisher restarts, two
instances sharing the work by lease, a lost position, and a NATS outage."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import nats
import pytest
from nats.aio.client import Client

from schema.ids import to_global_id
from service.okrs import check_ins
from service.outbound.jetstream import SEQUENCE_HEADER, NatsPublisher
from service.outbound.lease import Leases
from service.outbound.model import Position
from service.store.mongo import MongoStore
from tests.okrs.conftest import NOW, World, build_world
from tests.outbound.conftest import Instance, NatsServer, instance

WAIT = 10.0


class Consumer:
    """A JetStream consumer of one subject from the start of its stream: the sequences it got."""

    def __init__(self, client: Client, subject: str, stream: str) -> None:
        self.client = client
        self.subject = subject
        self.stream = stream
        self.sequences: list[int] = []
        self.bodies: list[dict[str, object]] = []

    async def until(self, count: int) -> list[int]:
        """Read until `count` messages came (or WAIT passed: then the test sees fewer)."""
        js = self.client.jetstream()
        subscription = await js.subscribe(self.subject, stream=self.stream, ordered_consumer=True)
        self.sequences, self.bodies = [], []
        try:
            while len(self.sequences) < count:
                try:
                    message = await subscription.next_msg(timeout=WAIT)
                except nats.errors.TimeoutError:
                    break
                assert message.headers is not None
                self.sequences.append(int(message.headers[SEQUENCE_HEADER]))
                self.bodies.append(json.loads(message.data))
            # Anything beyond `count` would be a duplicate: give it a moment to show.
            with pytest.raises(nats.errors.TimeoutError):
                await subscription.next_msg(timeout=0.3)
        finally:
            await subscription.unsubscribe()
        return self.sequences


def publisher(node: Instance, url: str, prefix: str, *, holder: str | None = None) -> NatsPublisher:
    return NatsPublisher(
        node.store,
        node.reads,
        url=url,
        naming=to_global_id,
        prefix=prefix,
        stream=prefix.upper(),
        leases=Leases(node.store, holder=holder, seconds=2.0),
        poll=0.05,
    )


async def check_in(node: Instance, world: World, value: float) -> None:
    await check_ins.record_check_in(
        writer=node.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=value,
        now=NOW + timedelta(minutes=value),
    )


async def published(publisher: NatsPublisher, org_id: str, sequence: int) -> None:
    """Wait until the publisher saved `sequence` as published."""
    for _ in range(int(WAIT / 0.02)):
        saved = await publisher.store.get_position(f"nats:{org_id}")
        if saved is not None and saved.position >= sequence:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"change {sequence} of {org_id} was not published")


@pytest.fixture
def prefix() -> str:
    """A stream and subject prefix no other run shares."""
    return f"okrtest{uuid4().hex[:12]}"


@pytest.fixture
async def client(nats_url: str, prefix: str) -> AsyncIterator[Client]:
    made = await nats.connect(nats_url)
    try:
        yield made
    finally:
        js = made.jetstream()
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(prefix.upper())
        await made.close()


async def last_sequence(node: Instance, org_id: str) -> int:
    snapshot = await node.reads.snapshot(org_id)
    assert snapshot is not None
    return snapshot.position


async def test_every_change_once_in_order_across_a_restart_of_the_publisher(
    store: MongoStore, nats_url: str, prefix: str, client: Client
) -> None:
    node = instance(store)
    world = await build_world(node.writer, slug=f"acme-{prefix}")
    first = publisher(node, nats_url, prefix)
    await first.start()
    for value in (10, 20, 30):
        await check_in(node, world, value)
        first.noticed(world.org.id, 0)
    await published(first, world.org.id, await last_sequence(node, world.org.id))
    await first.close()
    # Written while nobody publishes: the log keeps them.
    for value in (40, 50):
        await check_in(node, world, value)
    second = publisher(node, nats_url, prefix)
    await second.start()
    try:
        head = await last_sequence(node, world.org.id)
        await published(second, world.org.id, head)
    finally:
        await second.close()
    consumer = Consumer(client, first.subject(world.org.id), prefix.upper())
    assert await consumer.until(head) == list(range(1, head + 1))
    assert first.published + second.published == head
    last = consumer.bodies[-1]
    assert last["specversion"] == "1.0"
    assert last["id"] == f"{world.org.id}:{head}"
    data = last["data"]
    assert isinstance(data, dict)
    assert data["sequence"] == head
    assert data["kind"] == "checkInCreate"
    moved = {c["node"]["id"] for c in data["changes"]}
    assert to_global_id("KeyResult", world.org.id, world.mql.id) in moved


async def test_a_position_saved_late_never_publishes_twice(
    store: MongoStore, nats_url: str, prefix: str, client: Client
) -> None:
    node = instance(store)
    world = await build_world(node.writer, slug=f"acme-{prefix}")
    first = publisher(node, nats_url, prefix)
    await first.start()
    head = await last_sequence(node, world.org.id)
    await published(first, world.org.id, head)
    await first.close()
    # As if the process died after JetStream acknowledged but before the position was saved.
    await store.save_position(f"nats:{world.org.id}", Position(2))
    await check_in(node, world, 10)
    second = publisher(node, nats_url, prefix)
    await second.start()
    try:
        await published(second, world.org.id, head + 1)
    finally:
        await second.close()
    assert second.published == 1
    consumer = Consumer(client, first.subject(world.org.id), prefix.upper())
    assert await consumer.until(head + 1) == list(range(1, head + 2))


async def test_two_instances_share_the_work_by_lease_and_hand_over(
    store: MongoStore, nats_url: str, prefix: str, client: Client
) -> None:
    a, b = instance(store), instance(store)
    world = await build_world(a.writer, slug=f"acme-{prefix}")
    one, two = publisher(a, nats_url, prefix), publisher(b, nats_url, prefix)
    await one.start()
    await two.start()
    try:
        for value in range(1, 6):
            await check_in(a if value % 2 else b, world, value)
            one.noticed(world.org.id, 0)
            two.noticed(world.org.id, 0)
        await published(one, world.org.id, await last_sequence(a, world.org.id))
        # Whoever holds the lease goes away mid-stream; the other takes over.
        holder, other = (one, two) if one.published else (two, one)
        await holder.close()
        for value in range(6, 11):
            await check_in(b, world, value)
            other.noticed(world.org.id, 0)
        head = await last_sequence(b, world.org.id)
        await published(other, world.org.id, head)
    finally:
        await one.close()
        await two.close()
    assert one.published + two.published == head
    assert one.published > 0
    assert two.published > 0
    consumer = Consumer(client, one.subject(world.org.id), prefix.upper())
    assert await consumer.until(head) == list(range(1, head + 1))


async def test_changes_written_while_nats_is_down_arrive_when_it_is_back(
    store: MongoStore, private_nats: NatsServer, prefix: str
) -> None:
    node = instance(store)
    world = await build_world(node.writer, slug=f"acme-{prefix}")
    running = publisher(node, private_nats.url, prefix)
    await running.start()
    try:
        await check_in(node, world, 10)
        await published(running, world.org.id, await last_sequence(node, world.org.id))
        private_nats.stop()
        for value in (20, 30, 40):
            await check_in(node, world, value)
            running.noticed(world.org.id, 0)
        await asyncio.sleep(0.5)
        private_nats.start()
        head = await last_sequence(node, world.org.id)
        await published(running, world.org.id, head)
    finally:
        await running.close()
    made = await nats.connect(private_nats.url)
    try:
        consumer = Consumer(made, running.subject(world.org.id), prefix.upper())
        assert await consumer.until(head) == list(range(1, head + 1))
    finally:
        await made.close()


async def test_changes_the_log_no_longer_keeps_are_skipped_and_the_rest_published(
    store: MongoStore, nats_url: str, prefix: str, client: Client
) -> None:
    node = instance(store)
    world = await build_world(node.writer, slug=f"acme-{prefix}")
    head = await last_sequence(node, world.org.id)
    far = datetime(2100, 1, 1, tzinfo=UTC)
    assert await store.prune_changes(world.org.id, keep_last=2, older_than=far) == head - 2
    running = publisher(node, nats_url, prefix)
    await running.start()
    try:
        await published(running, world.org.id, head)
    finally:
        await running.close()
    assert running.published == 2
    consumer = Consumer(client, running.subject(world.org.id), prefix.upper())
    assert await consumer.until(2) == [head - 1, head]
