"""Webhooks from the change log against a real receiver: Standard Webhooks signatures checked
by the reference library, CloudEvents bodies, order per endpoint, retries until the receiver
recovers, dead letters and redelivery, secret rotation, a lease handed over between instances,
and a slow endpoint that holds up nobody else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from schema.ids import to_global_id
from service.domain.errors import InvalidInput
from service.okrs import check_ins, overrides, reminders
from service.okrs.due_changes import ARRIVAL, EXPIRY
from service.outbound import admin
from service.outbound.lease import Leases, stop
from service.outbound.model import DeliveryStatus, EventType, Webhook
from service.outbound.signing import new_secret
from service.outbound.targets import TargetRefused, Targets
from service.outbound.webhooks import RetryPolicy, Sender, WebhookDeliverer, position_name
from service.scheduler import ReminderScheduler
from service.store.mongo import MongoStore
from tests.okrs.conftest import NOW, World, build_world
from tests.outbound.conftest import Instance, instance
from tests.outbound.receiver import Receiver

LOCAL = Targets(["127.0.0.1"])
QUICK = RetryPolicy(
    first=timedelta(milliseconds=20), cap=timedelta(milliseconds=100), give_up=timedelta(hours=1)
)


def deliverer(
    node: Instance, *, retry: RetryPolicy = QUICK, timeout: float = 5.0, lease: float = 5.0
) -> WebhookDeliverer:
    return WebhookDeliverer(
        node.store,
        node.reads,
        Sender(LOCAL, timeout=timeout),
        naming=to_global_id,
        leases=Leases(node.store, seconds=lease),
        retry=retry,
        poll=0.05,
    )


async def hook(node: Instance, world: World, url: str, **fields: object) -> Webhook:
    values: dict[str, object] = {
        "scopes": (),
        "events": (EventType.PROGRESS_CHANGED,),
        "secret": None,
    } | fields
    return await admin.create_webhook(
        store=node.store,
        reads=node.reads,
        targets=LOCAL,
        org_id=world.org.id,
        url=url,
        actor="admin",
        now=NOW,
        **values,  # type: ignore[arg-type]
    )


async def check_in(node: Instance, world: World, value: float) -> int:
    await check_ins.record_check_in(
        writer=node.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=value,
        now=NOW + timedelta(minutes=value),
    )
    snapshot = await node.reads.snapshot(world.org.id)
    assert snapshot is not None
    return snapshot.position


@pytest.fixture
async def node(store: MongoStore) -> Instance:
    return instance(store)


@pytest.fixture
async def world(node: Instance) -> World:
    return await build_world(node.writer)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    made = Receiver(secrets=[])
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


async def test_signed_cloudevents_reach_a_real_receiver_in_sequence_order(
    node: Instance, world: World, receiver: Receiver
) -> None:
    made = await hook(node, world, receiver.url)
    receiver.secrets = [made.secret]
    worker = deliverer(node)
    await worker.start()
    try:
        sequences = [await check_in(node, world, v) for v in (100, 200, 300)]
        got = await receiver.wait_for(3)
    finally:
        await worker.close()
    assert [r.sequence for r in got] == sequences
    assert all(r.verified_by == [made.secret] for r in got)
    assert len({r.message_id for r in got}) == 3
    event = got[-1].event
    assert event["specversion"] == "1.0"
    assert event["type"] == "com.okrgraph.progress.changed"
    assert event["id"] == f"{world.org.id}:{sequences[-1]}"
    assert event["source"].endswith(to_global_id("Organization", world.org.id, world.org.id))
    data = event["data"]
    assert data["sequence"] == sequences[-1]
    assert data["kind"] == "checkInCreate"
    kr = next(c for c in data["changes"] if c["node"]["kind"] == "KeyResult")
    assert kr["node"]["id"] == to_global_id("KeyResult", world.org.id, world.mql.id)
    assert kr["previous"]["value"] == pytest.approx(0.2)
    assert kr["current"]["value"] == pytest.approx(0.3)
    page = await node.store.page_deliveries(world.org.id, made.id, after=None, limit=10)
    assert [d.sequence for d in page.items] == sequences[::-1]
    assert all(d.status is DeliveryStatus.DELIVERED for d in page.items)
    assert all(d.response_code == 200 and d.attempts == 1 for d in page.items)
    assert all(d.latency_ms is not None and d.latency_ms > 0 for d in page.items)


async def test_only_changes_that_move_a_followed_scope_are_sent(
    node: Instance, world: World, receiver: Receiver
) -> None:
    made = await hook(node, world, receiver.url, scopes=(("KeyResult", world.deals.id),))
    receiver.secrets = [made.secret]
    worker = deliverer(node)
    await worker.start()
    try:
        await check_in(node, world, 100)  # moves MQLs only
        await check_ins.record_check_in(
            writer=node.writer,
            org_id=world.org.id,
            key_result_id=world.deals.id,
            value=5,
            now=NOW + timedelta(hours=1),
        )
        got = await receiver.wait_for(1)
        await asyncio.sleep(0.3)
    finally:
        await worker.close()
    assert len(receiver.requests) == 1
    ids = {c["node"]["id"] for c in got[0].event["data"]["changes"]}
    assert ids == {to_global_id("KeyResult", world.org.id, world.deals.id)}


async def test_a_receiver_that_fails_and_times_out_gets_everything_in_order_once_it_recovers(
    node: Instance, world: World, receiver: Receiver
) -> None:
    made = await hook(node, world, receiver.url)
    receiver.secrets = [made.secret]
    receiver.fail = 3
    worker = deliverer(node, timeout=0.3)
    await worker.start()
    try:
        sequences = [await check_in(node, world, 100)]
        receiver.hang = 0.6  # the next attempts time out
        sequences += [await check_in(node, world, v) for v in (200, 300)]
        await asyncio.sleep(1.0)
        receiver.hang = 0.0
        got = await receiver.wait_for(3)
    finally:
        await worker.close()
    assert [r.sequence for r in got] == sequences
    # Every attempt of a message carried its one webhook-id; nothing arrived out of order.
    first_seen = list(dict.fromkeys(r.sequence for r in receiver.requests))
    assert first_seen == sorted(first_seen)
    by_sequence: dict[int, set[str]] = {}
    for request in receiver.requests:
        by_sequence.setdefault(request.sequence, set()).add(request.message_id)
    assert all(len(ids) == 1 for ids in by_sequence.values())
    first = await node.store.page_deliveries(world.org.id, made.id, after=None, limit=10)
    retried = next(d for d in first.items if d.sequence == sequences[0])
    assert retried.attempts >= 4
    assert retried.status is DeliveryStatus.DELIVERED


async def test_a_dead_letter_stops_the_endpoint_until_redelivery(
    node: Instance, world: World, receiver: Receiver
) -> None:
    made = await hook(node, world, receiver.url)
    receiver.secrets = [made.secret]
    receiver.fail = 1000
    brief = RetryPolicy(
        first=timedelta(milliseconds=20),
        cap=timedelta(milliseconds=50),
        give_up=timedelta(milliseconds=300),
    )
    worker = deliverer(node, retry=brief)
    await worker.start()
    try:
        first = await check_in(node, world, 100)
        second = await check_in(node, world, 200)
        for _ in range(200):
            current = await node.store.get_webhook(world.org.id, made.id)
            if current is not None and current.dead:
                break
            await asyncio.sleep(0.02)
        assert current is not None
        assert current.dead
        page = await node.store.page_deliveries(world.org.id, made.id, after=None, limit=10)
        assert [(d.sequence, d.status) for d in page.items] == [
            (first, DeliveryStatus.DEAD_LETTERED)
        ]
        receiver.fail = 0
        await admin.redeliver(
            store=node.store, org_id=world.org.id, webhook_id=made.id, from_sequence=first
        )
        worker.changed()
        got = await receiver.wait_for(2)
    finally:
        await worker.close()
    assert [r.sequence for r in got] == [first, second]


async def test_during_a_rotation_both_secrets_verify(
    node: Instance, world: World, receiver: Receiver
) -> None:
    made = await hook(node, world, receiver.url)
    rotated = await admin.update_webhook(
        store=node.store,
        reads=node.reads,
        targets=LOCAL,
        org_id=world.org.id,
        webhook_id=made.id,
        url=None,
        scopes=None,
        events=None,
        secret=None,
        rotate=True,
        now=NOW,
    )
    assert rotated.secret != made.secret
    receiver.secrets = [made.secret, rotated.secret]
    worker = deliverer(node)
    await worker.start()
    try:
        await check_in(node, world, 100)
        got = await receiver.wait_for(1)
    finally:
        await worker.close()
    assert got[0].verified_by == [made.secret, rotated.secret]


async def test_two_instances_hand_the_endpoint_over_without_loss_or_repeats(
    store: MongoStore, world: World, receiver: Receiver
) -> None:
    a, b = instance(store), instance(store)
    made = await hook(a, world, receiver.url)
    receiver.secrets = [made.secret]
    one, two = deliverer(a, lease=1.0), deliverer(b, lease=1.0)
    await one.start()
    await two.start()
    try:
        sequences = [await check_in(a, world, v) for v in (100, 200)]
        await receiver.wait_for(2)
        holder = one if one.sent else two
        await holder.close()
        sequences += [await check_in(b, world, v) for v in (300, 400, 500)]
        got = await receiver.wait_for(5)
    finally:
        await one.close()
        await two.close()
    # Each change once, in order (a graceful handover repeats nothing); a message repeated by
    # at-least-once delivery would carry its first webhook-id.
    assert [r.sequence for r in got] == sequences
    ids = {r.sequence: r.message_id for r in receiver.requests}
    assert all(r.message_id == ids[r.sequence] for r in receiver.requests)
    assert one.sent > 0
    assert two.sent > 0


async def test_a_slow_endpoint_holds_up_neither_another_nor_a_write(
    node: Instance, world: World, receiver: Receiver
) -> None:
    slow = Receiver(secrets=[], hang=3.0)
    await slow.start()
    try:
        stuck = await hook(node, world, slow.url)
        fast = await hook(node, world, receiver.url)
        slow.secrets, receiver.secrets = [stuck.secret], [fast.secret]
        worker = deliverer(node, timeout=10.0)
        await worker.start()
        try:
            await check_in(node, world, 100)
            await asyncio.sleep(0.3)  # the slow endpoint's request is in flight now
            started = time.perf_counter()
            await check_in(node, world, 200)
            assert time.perf_counter() - started < 0.5
            got = await receiver.wait_for(2, within=2.0)
            assert len(got) == 2
            assert slow.requests == []
        finally:
            await worker.close()
    finally:
        await slow.stop()


async def test_a_redirect_is_a_failure_and_is_not_followed(
    node: Instance, world: World, receiver: Receiver
) -> None:
    made = await hook(node, world, receiver.url)
    receiver.secrets = [made.secret]
    receiver.redirect = True
    worker = deliverer(node)
    await worker.start()
    try:
        sequence = await check_in(node, world, 100)
        for _ in range(200):
            page = await node.store.page_deliveries(world.org.id, made.id, after=None, limit=1)
            if page.items and page.items[0].attempts >= 2:
                break
            await asyncio.sleep(0.02)
    finally:
        await worker.close()
    delivery = page.items[0]
    assert delivery.sequence == sequence
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.response_code == 302
    assert delivery.error == "redirects are not followed"
    assert {r.answered for r in receiver.requests} == {302}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
        "not a url",
    ],
)
async def test_internal_and_odd_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        await Targets().check(url)


async def test_the_allow_list_opens_named_hosts_and_networks() -> None:
    await Targets(["127.0.0.0/8"]).check("http://127.0.0.1:9/hook")
    await Targets(["localhost"]).check("http://localhost:9/hook")
    await Targets(["10.0.0.0/8"]).check("http://10.1.2.3/hook")
    with pytest.raises(TargetRefused):
        await Targets(["10.0.0.0/8"]).check("http://192.168.1.1/hook")


def test_the_retry_schedule_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy()
    assert policy.delay(1, lambda: 1.0) == timedelta(seconds=5)
    assert policy.delay(1, lambda: 0.0) == timedelta(seconds=2.5)
    assert policy.delay(3, lambda: 1.0) == timedelta(seconds=20)
    assert policy.delay(30, lambda: 1.0) == timedelta(hours=1)
    total, attempts = timedelta(), 0
    while total <= policy.give_up:
        attempts += 1
        total += policy.delay(attempts, lambda: 0.0)
    assert 30 <= attempts <= 60
    assert new_secret() != new_secret()


async def test_an_instance_that_dies_mid_stream_is_taken_over_when_its_lease_runs_out(
    store: MongoStore, world: World, receiver: Receiver
) -> None:
    a, b = instance(store), instance(store)
    made = await hook(a, world, receiver.url)
    receiver.secrets = [made.secret]
    dying = deliverer(a, lease=1.0)
    await dying.start()
    survivor = deliverer(b, lease=1.0)
    try:
        sequences = [await check_in(a, world, v) for v in (100, 200)]
        await receiver.wait_for(2)
        await survivor.start()
        # As a killed process: its tasks end at once and its lease stays until it runs out (a
        # cancelled task gives its lease up, so the dead holder's lease is taken again here).
        await stop([t for t in (dying._task, *dying._tasks.values()) if t is not None])
        died = datetime.now(UTC)
        assert await store.take_lease(
            position_name(made.id), dying.leases.holder, now=died, seconds=1.0
        )
        sequences += [await check_in(b, world, v) for v in (300, 400)]
        got = await receiver.wait_for(4)
    finally:
        await survivor.close()
        await dying.close()
    first_seen = list(dict.fromkeys(r.sequence for r in got))
    assert first_seen == sequences
    ids = {r.sequence: r.message_id for r in receiver.requests}
    assert all(r.message_id == ids[r.sequence] for r in receiver.requests)
    assert survivor.sent >= 2
    (taken_over,) = [r for r in got if r.sequence == sequences[2]]
    assert taken_over.received_at >= died + timedelta(seconds=0.9)


def resolving(*answers: list[str]) -> Callable[[str, int], Awaitable[list[str]]]:
    """A resolver that gives these answers in turn (the last one from then on)."""
    given = list(answers)

    async def resolve(host: str, port: int) -> list[str]:
        return given.pop(0) if len(given) > 1 else given[0]

    return resolve


async def test_an_attempt_connects_to_the_address_it_checked(
    node: Instance, world: World, receiver: Receiver
) -> None:
    named = Targets(["127.0.0.0/8"], resolve=resolving(["127.0.0.1"]))
    url = f"http://hooks.example.test:{receiver.port}/hook"
    target = await named.check(url)
    assert target.url == f"http://127.0.0.1:{receiver.port}/hook"
    assert target.host == f"hooks.example.test:{receiver.port}"
    assert target.server_name is None
    secure = await named.check("https://hooks.example.test/hook")
    assert (secure.url, secure.server_name) == ("https://127.0.0.1/hook", "hooks.example.test")
    six = Targets(["::1/128"], resolve=resolving(["::1"]))
    assert (await six.check("http://hooks.example.test:81/x")).url == "http://[::1]:81/x"
    made = await admin.create_webhook(
        store=node.store,
        reads=node.reads,
        targets=named,
        org_id=world.org.id,
        url=url,
        scopes=(),
        events=(EventType.PROGRESS_CHANGED,),
        secret=None,
        actor="admin",
        now=NOW,
    )
    receiver.secrets = [made.secret]
    sender = Sender(named, timeout=5)
    try:
        attempt = await sender.send(made, "msg_pinned", b'{"data": {"sequence": 0}}')
    finally:
        await sender.close()
    assert attempt.ok
    assert receiver.requests[0].host == f"hooks.example.test:{receiver.port}"


async def test_a_name_that_turns_internal_is_refused_at_the_next_attempt() -> None:
    rebinding = Targets(resolve=resolving(["93.184.215.14"], ["10.0.0.5"]))
    await rebinding.check("https://hooks.example.test/hook")
    with pytest.raises(TargetRefused):
        await rebinding.check("https://hooks.example.test/hook")
    mixed = Targets(resolve=resolving(["93.184.215.14", "127.0.0.1"]))
    with pytest.raises(TargetRefused):
        await mixed.check("https://hooks.example.test/hook")
    with pytest.raises(TargetRefused):
        await Targets(resolve=resolving([])).check("https://nowhere.example.test/")


async def test_an_organization_has_at_most_so_many_endpoints(node: Instance, world: World) -> None:
    for _ in range(admin.MAX_WEBHOOKS):
        await hook(node, world, "https://93.184.215.14/hook")
    with pytest.raises(InvalidInput) as refused:
        await hook(node, world, "https://93.184.215.14/hook")
    assert refused.value.field == ("organizationId",)
    assert len(await node.store.list_webhooks(world.org.id)) == admin.MAX_WEBHOOKS


async def test_an_endpoint_behind_what_the_log_keeps_goes_on_from_its_oldest_change(
    node: Instance, world: World, receiver: Receiver
) -> None:
    made = await hook(node, world, receiver.url)
    receiver.secrets = [made.secret]
    sequences = [await check_in(node, world, v) for v in (100, 200, 300)]
    far = datetime(2100, 1, 1, tzinfo=UTC)
    await node.store.prune_changes(world.org.id, keep_last=2, older_than=far)
    worker = deliverer(node)
    await worker.start()
    try:
        got = await receiver.wait_for(2)
        await asyncio.sleep(0.2)
    finally:
        await worker.close()
    assert [r.sequence for r in receiver.requests] == sequences[1:]
    assert [r.sequence for r in got] == sequences[1:]


async def test_check_in_due_notices_reach_the_endpoints_that_take_them(
    node: Instance, world: World, receiver: Receiver
) -> None:
    due = await hook(
        node,
        world,
        receiver.url,
        events=(EventType.CHECK_IN_DUE,),
        scopes=(("Department", world.sales.id),),
    )
    progress = await hook(node, world, receiver.url)  # progress only: hears no notice
    receiver.secrets = [due.secret, progress.secret]
    worker = deliverer(node)
    await worker.start()
    when = NOW + timedelta(days=7)
    try:
        for kr in (world.mql, world.deals):
            assert await reminders.notify_due(
                writer=node.writer, org_id=world.org.id, key_result_id=kr.id, due=when, now=when
            )
        (got,) = await receiver.wait_for(1)
        await asyncio.sleep(0.3)
    finally:
        await worker.close()
    assert len(receiver.requests) == 1  # the MQLs are Marketing's, outside the scope
    event = got.event
    assert event["type"] == "com.okrgraph.checkin.due"
    assert event["data"]["kind"] == "checkInDue"
    assert event["data"]["changes"] == []
    (notice,) = event["data"]["due"]
    assert notice == {
        "keyResultId": to_global_id("KeyResult", world.org.id, world.deals.id),
        "owner": None,
        "dueAt": "2027-02-22T00:00:00Z",
        "silentSince": "2027-02-15T00:00:00Z",
    }
    page = await node.store.page_deliveries(world.org.id, due.id, after=None, limit=10)
    assert [d.event_type for d in page.items] == ["com.okrgraph.checkin.due"]


async def test_an_expiry_and_an_arriving_check_in_reach_progress_endpoints(
    node: Instance, world: World, receiver: Receiver
) -> None:
    made = await hook(node, world, receiver.url)
    receiver.secrets = [made.secret]
    ahead = NOW + timedelta(minutes=3)
    recorded = await check_ins.record_check_in(
        writer=node.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=300,
        now=NOW,
        recorded_at=ahead,
    )
    await overrides.set_progress_override(
        writer=node.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        value=0.8,
        reason="Pilot signed",
        now=NOW,
        expires_at=NOW + timedelta(hours=1),
    )
    at = NOW + timedelta(hours=2)
    scheduler = ReminderScheduler(
        node.store,
        node.reads,
        node.writer,
        leases=Leases(node.store, holder="due", clock=lambda: at),
        clock=lambda: at,
    )
    assert await scheduler.run_once() == 2
    last = await node.store.last_change(world.org.id)
    assert last is not None
    worker = deliverer(node)
    await worker.start()
    try:
        for _ in range(250):
            if any(r.sequence == last.sequence for r in receiver.accepted):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
    finally:
        await worker.close()
    by_kind = {r.event["data"]["kind"]: r.event["data"] for r in receiver.accepted}
    assert set(by_kind) >= {ARRIVAL, EXPIRY}
    sequences = [r.sequence for r in receiver.accepted]
    assert len(sequences) == len(set(sequences))  # each delivered once
    cause = by_kind[ARRIVAL]["causeCheckInId"]
    assert cause == to_global_id("CheckIn", world.org.id, recorded.check_in.id)
    assert by_kind[EXPIRY]["causeCheckInId"] is None
    assert by_kind[EXPIRY]["changes"] != []
