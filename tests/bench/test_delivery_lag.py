"""Delivery lag from the change log: check-ins at 100 per second spread over 50 key results (of
5 organizations), each followed by its own webhook endpoint (50 endpoints), and every change
published to NATS JetStream. Lag is from the check-in being sent (the use case called) to the
webhook receiver answering 200, and to the JetStream consumer receiving the message, counted
from the moment the check-in's change is written (appended to the log: the mutation answers a
little later). Target: p99 ≤ 500 ms for both.

The service side runs as one instance does (a shared read model, the webhook deliverer and the
NATS publisher woken by the writer's notices) on the embedded nx-27017; the receiver is a real
HTTP server (uvicorn) in the same process, the broker the machine's nats-server."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from uuid import uuid4

import nats
import pytest
import uvicorn
from nats.aio.msg import Msg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema.ids import to_global_id
from service.domain.model import KeyResultKind
from service.okrs import check_ins, key_results
from service.okrs.commit import Writer
from service.outbound import admin
from service.outbound.jetstream import SEQUENCE_HEADER, NatsPublisher, subject_token
from service.outbound.model import EventType
from service.outbound.targets import Targets
from service.outbound.webhooks import Sender, WebhookDeliverer
from service.outbound.workers import Outbound
from service.readmodel import ReadModel
from service.store.embedded import open_store
from service.store.records import Change
from tests.bench.report import Results, percentile, table
from tests.bench.scale import sized
from tests.events.servers import free_port
from tests.okrs.conftest import NOW, build_world
from tests.outbound.conftest import SHARED_NATS_PORT, listening

pytestmark = pytest.mark.asyncio(loop_scope="session")

RATE = sized(100, 20)
SECONDS = sized(10, 1)
ORGANIZATIONS = sized(5, 1)
ENDPOINTS = sized(50, 2)
TARGET = 0.5

Key = tuple[str, int]
"""A change: its organization's id and its sequence."""


async def test_delivery_lag_to_webhooks_and_jetstream(results: Results) -> None:
    if not listening(SHARED_NATS_PORT):
        pytest.fail("the benchmark needs nats-server at 127.0.0.1:4222 (.ci/run starts one)")
    prefix = f"okrbench{uuid4().hex[:10]}"
    sent: dict[Key, float] = {}
    written: dict[Key, float] = {}
    hooked: dict[Key, float] = {}
    streamed: dict[Key, float] = {}
    organizations: dict[str, str] = {}  # global id -> own id

    async def receive(request: Request) -> Response:
        data = json.loads(await request.body())["data"]
        key = (organizations[data["organizationId"]], data["sequence"])
        hooked.setdefault(key, time.perf_counter())
        return Response(status_code=200)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hook/{n}", receive, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_level="error",
        )
    )
    serving = asyncio.create_task(server.serve())
    async with open_store(mongodb_uri=None, data_dir=None) as store:
        await store.ensure_indexes()
        reads = ReadModel(store)
        sender = Sender(Targets(["127.0.0.1"]))
        webhooks = WebhookDeliverer(store, reads, sender, naming=to_global_id)
        publisher = NatsPublisher(
            store,
            reads,
            url=f"nats://127.0.0.1:{SHARED_NATS_PORT}",
            naming=to_global_id,
            prefix=prefix,
            stream=prefix.upper(),
        )
        outbound = Outbound(webhooks, publisher)

        append = store.append_change

        async def appended(change: Change) -> None:
            await append(change)
            written[(change.org_id, change.sequence)] = time.perf_counter()

        store.append_change = appended  # type: ignore[method-assign]
        writer = Writer(store, reads, notify=outbound.noticed)
        tracked: list[tuple[str, str]] = []  # (organization, key result)
        for o in range(ORGANIZATIONS):
            world = await build_world(writer, slug=f"{prefix}-{o}")
            organizations[to_global_id("Organization", world.org.id, world.org.id)] = world.org.id
            for n in range(ENDPOINTS // ORGANIZATIONS):
                made = await key_results.create_key_result(
                    writer=writer,
                    org_id=world.org.id,
                    objective_id=world.q1.id,
                    title=f"Leads {n}",
                    kind=KeyResultKind.INCREASE,
                    start_value=0,
                    target_value=100_000,
                    now=NOW,
                )
                assert made.key_result is not None
                tracked.append((world.org.id, made.key_result.id))
                await admin.create_webhook(
                    store=store,
                    reads=reads,
                    targets=sender.targets,
                    org_id=world.org.id,
                    url=f"http://127.0.0.1:{port}/hook/{o}-{n}",
                    scopes=[("KeyResult", made.key_result.id)],
                    events=[EventType.PROGRESS_CHANGED],
                    secret=None,
                    actor="bench",
                    now=NOW,
                )
        client = await nats.connect(f"nats://127.0.0.1:{SHARED_NATS_PORT}")

        by_token = {subject_token(org_id): org_id for org_id in organizations.values()}

        async def on_message(message: Msg) -> None:
            assert message.headers is not None
            org_id = by_token[message.subject.split(".")[1]]
            key = (org_id, int(message.headers[SEQUENCE_HEADER]))
            streamed.setdefault(key, time.perf_counter())

        async def check_in(i: int) -> None:
            org_id, key_result_id = tracked[(i * 7) % ENDPOINTS]
            done = await check_ins.record_check_in(
                writer=writer,
                org_id=org_id,
                key_result_id=key_result_id,
                value=1 + i,
                now=NOW + timedelta(seconds=i),
            )
            sent[(org_id, done.snapshot.position)] = time.perf_counter()

        await outbound.start()
        subscription = None
        try:
            # What was written before the run is published first (the stream starts empty).
            for _ in range(600):
                if publisher.published:
                    break
                await asyncio.sleep(0.05)
            js = client.jetstream()
            subscription = await js.subscribe(
                f"{prefix}.*.progress", stream=prefix.upper(), ordered_consumer=True, cb=on_message
            )
            started = time.perf_counter()
            total = RATE * SECONDS
            running = set()
            for i in range(total):
                # Open loop: each check-in is sent on time, whether the previous one answered.
                due = started + i / RATE
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                running.add(asyncio.create_task(check_in(i)))
            await asyncio.gather(*running)
            achieved = time.perf_counter() - started
            for _ in range(600):  # up to 30 s for the last messages
                if sent.keys() <= hooked.keys() and sent.keys() <= streamed.keys():
                    break
                await asyncio.sleep(0.05)
        finally:
            if subscription is not None:
                await subscription.unsubscribe()
            await outbound.close()
            await client.jetstream().delete_stream(prefix.upper())
            await client.close()
            server.should_exit = True
            await serving
    rows = []
    met = True
    for name, arrived in (("webhook (receiver's 200)", hooked), ("JetStream consumer", streamed)):
        lags = [arrived[k] - written[k] for k in sent if k in arrived]
        missing = len(sent) - len(lags)
        p50, p99 = percentile(lags, 0.5), percentile(lags, 0.99)
        ok = missing == 0 and p99 <= TARGET
        met = met and ok
        rows.append(
            [
                name,
                len(lags),
                missing,
                f"{1000 * p50:.1f}",
                f"{1000 * p99:.1f}",
                f"{1000 * max(lags):.1f}",
            ]
        )
        results.target(f"delivery lag p99, {name}", f"{1000 * p99:.0f} ms", "≤ 500 ms", ok)
    header = ["to", "delivered", "missing", "p50 ms", "p99 ms", "max ms"]
    results.add(
        "Delivery lag: webhooks and JetStream",
        f"""{table(header, rows)}

{total} check-ins sent at {RATE}/s for {SECONDS} s (open loop; all answered after
{achieved:.1f} s), spread in turn over {ENDPOINTS} key results of {ORGANIZATIONS} organizations,
each followed by its own webhook endpoint (so each of the {ENDPOINTS} endpoints gets
{RATE // ENDPOINTS} messages a second); every change is also published to JetStream. One
instance (shared read model, webhook deliverer, NATS publisher) on the embedded nx-27017, the
receiver (uvicorn) in the same process, the machine's nats-server. Lag: from the check-in's
change being written to the receiver answering 200, and to the JetStream consumer receiving it.

Target p99 ≤ {int(TARGET * 1000)} ms for both: **{"met" if met else "not met"}**.""",
    )
    assert len(sent) == total
