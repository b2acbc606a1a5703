"""A Redis that hangs (SIGSTOP) holds no write up, and this instance's subscribers still hear
this instance's writes at once: events do not travel through Redis to reach them."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from service.app import create_app
from service.config import Settings
from tests.app.test_app import memory_store, serving
from tests.events.servers import RedisServer, free_port
from tests.realtime.world import GraphQL, build


@pytest.mark.slow
async def test_a_hung_redis_holds_no_mutation_up_and_local_subscribers_still_hear() -> None:
    redis = RedisServer(free_port())
    await asyncio.to_thread(redis.start)
    try:
        app = create_app(
            Settings(demo=False, auth="disabled", redis_url=redis.url), store=memory_store()
        )
        async with serving(app) as http:
            gql = GraphQL(http)
            world = await build(gql, slug="stalled")
            os.kill(redis.pid, signal.SIGSTOP)
            try:
                spent = []
                for value in (100.0, 200.0, 300.0):
                    started = time.perf_counter()
                    await gql.check_in(world.mql, value)
                    spent.append(time.perf_counter() - started)
                # Each answered in well under the bus's 2 s timeout: nothing waited for Redis.
                assert max(spent) < 1.0, spent
                ready = (await http.get("/readyz")).json()
                assert ready["store"] == "ok"
            finally:
                os.kill(redis.pid, signal.SIGCONT)
    finally:
        await asyncio.to_thread(redis.stop)
