"""The feed gives the events the subscriptions give, from any position of the log: close
behind (kept), at the head, far back (read backwards), and refuses what the log forgot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.events import EventStream, ResumeTooOld
from service.events.stream import listening
from service.okrs import check_ins
from service.outbound.feed import Feed, Feeds
from service.store.mongo import MongoStore
from tests.events.factory import receive
from tests.okrs.conftest import NOW, build_world
from tests.outbound.conftest import instance


async def test_the_feed_gives_the_subscriptions_events_from_every_position(
    store: MongoStore,
) -> None:
    node = instance(store)
    world = await build_world(node.writer)
    stream = EventStream(node.reads, store)
    await stream.start()
    try:
        async with listening(stream, world.org.id) as subscription:
            for value in (100, 250, 400):
                await check_ins.record_check_in(
                    writer=node.writer,
                    org_id=world.org.id,
                    key_result_id=world.mql.id,
                    value=value,
                    now=NOW + timedelta(minutes=value),
                )
            live = [await receive(subscription) for _ in range(3)]
    finally:
        await stream.close()
    head = live[-1].sequence
    feed = Feed(store, node.reads, world.org.id)
    whole = await feed.after(0, limit=1000)
    assert [i.change.sequence for i in whole] == list(range(1, head + 1))
    assert [i.event for i in whole if i.event is not None][-3:] == live
    # Kept: a second consumer close behind reads what the first made.
    assert await feed.after(head - 3, limit=10) == whole[-3:]
    # At the head, nothing new; a fresh feed from far back reads the log backwards.
    assert await feed.after(head, limit=10) == []
    assert await Feed(store, node.reads, world.org.id).after(head - 3, limit=2) == whole[-3:-1]
    # A bounded page, then the rest.
    first = await feed.after(0, limit=4)
    assert first == whole[:4]
    assert await feed.after(4, limit=1000) == whole[4:]
    feeds = Feeds(store, node.reads, capacity=1)
    assert feeds.of(world.org.id) is feeds.of(world.org.id)
    feeds.of("another")
    assert await feeds.of(world.org.id).after(head - 1, limit=5) == whole[-1:]


async def test_a_position_the_log_no_longer_keeps_is_refused(store: MongoStore) -> None:
    node = instance(store)
    world = await build_world(node.writer)
    snapshot = await node.reads.snapshot(world.org.id)
    assert snapshot is not None
    pruned = await store.prune_changes(
        world.org.id, keep_last=2, older_than=datetime(2100, 1, 1, tzinfo=UTC)
    )
    assert pruned > 0
    with pytest.raises(ResumeTooOld):
        await Feed(store, node.reads, world.org.id).after(0, limit=10)
    with pytest.raises(ResumeTooOld):
        await Feed(store, node.reads, world.org.id).after(snapshot.position + 1, limit=10)
    kept = await Feed(store, node.reads, world.org.id).after(snapshot.position - 2, limit=10)
    assert [i.change.sequence for i in kept] == [snapshot.position - 1, snapshot.position]


async def test_consumers_at_the_head_share_one_read_until_a_notice(store: MongoStore) -> None:
    node = instance(store)
    world = await build_world(node.writer)
    feed = Feed(store, node.reads, world.org.id)
    head = len(await feed.after(0, limit=1000))
    calls = store.round_trips
    assert await feed.after(head, limit=10) == []
    assert store.round_trips == calls + 1
    assert await feed.after(head, limit=10) == []  # another consumer, just after: no read
    assert store.round_trips == calls + 1
    await check_ins.record_check_in(
        writer=node.writer, org_id=world.org.id, key_result_id=world.mql.id, value=5, now=NOW
    )
    feed.noticed()
    (item,) = await feed.after(head, limit=10)
    assert item.change.sequence == head + 1
