"""Where a progress event's time goes inside one process, with no sockets: N subscriptions run
through `schema.stream`, one task each, and check-ins through `schema.execute` on the in-process
bus, with the service's schema and a context built as the app builds it.

Two ways to run the subscriptions: `grouped`, as the WebSocket handlers run them
(service/live.py: each task's relay joins the feed of identical subscriptions, which renders each
event once and hands every member the encoded `next` frame), or each rendering its own results,
as graphql-sse does (every result encoded as a `next` message).

Events alternate between two ways of running: as served (the garbage collector on, as in
`okrgraph serve`), and with the collector paused during the fan-out and run right after, which
counts the cyclic garbage the event left behind and names its commonest types.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from schema.api import schema
from schema.context import Context, build_context
from schema.subscriptions import RELAY
from service.events import EventStream
from service.live import Feeds, Member
from service.observability import Metrics
from service.okrs.commit import Writer
from service.readmodel import ReadModel
from service.store.embedded import connect

SETTLING = 60.0  # seconds for every subscription to be attached
BATCH = 100


@dataclass
class FanOut:
    """Seconds from the check-in's result to the last subscriber's encoded frame, per event."""

    size: int
    grouped: bool
    served: list[float] = field(default_factory=list)
    paused: list[float] = field(default_factory=list)
    full_collections: list[int] = field(default_factory=list)  # per served event
    garbage: list[int] = field(default_factory=list)  # cyclic objects left, per paused event
    kinds: Counter[str] = field(default_factory=Counter)  # their types, over the paused events


class _Done:
    """How many subscribers have encoded the current event."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.count = 0
        self.all = asyncio.Event()
        self.errors: list[str] = []

    def reset(self) -> None:
        self.count = 0
        self.all.clear()

    def hit(self) -> None:
        self.count += 1
        if self.count == self.size:
            self.all.set()


def _encode(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))  # as Strawberry's `encode_json`


async def _member(
    feeds: Feeds, query: str, variables: dict[str, Any], context: Context, done: _Done
) -> None:
    """One subscription as the WebSocket handlers run it: its frames come through `send`."""

    async def send(frame: str) -> None:
        if '"errors":' in frame:
            done.errors.append(frame)
        done.hit()

    RELAY.set(
        Member(
            feeds,
            query=query,
            variables=variables,
            operation_name=None,
            context=context,
            send=send,
            frame=lambda payload: '{"id":"1","type":"next","payload":' + payload + "}",
        )
    )
    await _subscriber(query, variables, context, done)


async def _subscriber(query: str, variables: dict[str, Any], context: Any, done: _Done) -> None:
    stream = await schema.stream(query, variable_values=variables, context_value=context)
    if not isinstance(stream, AsyncGenerator):
        done.errors.append(repr(stream))
        done.all.set()
        return
    async with aclosing(stream):
        async for result in stream:
            payload: dict[str, Any] = {"data": getattr(result, "data", None)}
            errors = getattr(result, "errors", None)
            if errors:
                done.errors.append(repr(errors))
                payload["errors"] = [e.formatted for e in errors]
            extensions = getattr(result, "extensions", None)
            if extensions:
                payload["extensions"] = extensions
            # As Strawberry's `send_next` and `encode_json` do.
            json.dumps({"id": "1", "type": "next", "payload": payload}, separators=(",", ":"))
            done.hit()


async def fan_out(
    uri: str,
    *,
    size: int,
    events: int,
    watch: str,
    scope_id: str,
    check_in: str,
    key_result_id: str,
    value: Callable[[], float],
    grouped: bool,
) -> FanOut:
    """`size` subscriptions to `scope_id`, then `events` check-ins (half served, half paused);
    `grouped` as the WebSocket handlers run them, else each rendering its own."""
    measured = FanOut(size, grouped)
    done = _Done(size)
    metrics = Metrics()
    async with connect(uri) as store:
        reads = ReadModel(store)
        writer = Writer(store, reads)
        bus = EventStream(reads, store)
        await bus.start()
        feeds = Feeds(schema, _encode)

        def context() -> Context:
            made = build_context(store, reads=reads, writer=writer, events=bus)
            made.metrics = metrics
            return made

        async def one() -> float:
            done.reset()
            variables = {"kr": key_result_id, "value": value()}
            result = await schema.execute(
                check_in, variable_values=variables, context_value=context()
            )
            assert result.errors is None, result.errors
            answered = asyncio.get_running_loop().time()
            await done.all.wait()
            if done.errors:
                raise AssertionError(f"a subscription failed: {done.errors[0]}")
            return asyncio.get_running_loop().time() - answered

        def active() -> float:
            return metrics.registry.get_sample_value("okrgraph_subscriptions_active") or 0.0

        tasks: list[asyncio.Task[None]] = []
        try:
            async with asyncio.timeout(SETTLING):
                # In batches, as the socket clients open theirs: each subscription reads the
                # store once, and a thousand at once would starve the check-in's reads.
                while len(tasks) < size:
                    for _ in range(min(BATCH, size - len(tasks))):
                        variables = {"s": scope_id}
                        work = (
                            _member(feeds, watch, variables, context(), done)
                            if grouped
                            else _subscriber(watch, variables, context(), done)
                        )
                        tasks.append(asyncio.create_task(work))
                    while active() < len(tasks):  # noqa: ASYNC110  (a gauge, not an event)
                        await asyncio.sleep(0.01)
            for _ in range(2):  # warm
                await one()
            for n in range(events):
                gc.collect()
                if n % 2 == 0:
                    before = gc.get_stats()[2]["collections"]
                    measured.served.append(await one())
                    measured.full_collections.append(gc.get_stats()[2]["collections"] - before)
                    continue
                gc.disable()
                try:
                    measured.paused.append(await one())
                    gc.set_debug(gc.DEBUG_SAVEALL)
                    gc.collect()
                    measured.garbage.append(len(gc.garbage))
                    measured.kinds.update(type(o).__name__ for o in gc.garbage)
                finally:
                    gc.set_debug(0)
                    gc.garbage.clear()
                    gc.enable()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bus.close()
    return measured
