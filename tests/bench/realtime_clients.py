"""The subscribers' side of the subscriptions benchmark: N WebSocket connections in this one
asyncio process, each stamping the moment a frame reaches it, and rounds that trigger one event
and wait until every subscriber holds it.

The stamps are `time.perf_counter()` in this process, taken when each connection's reader task
gets the frame: the client's own work on the N frames is part of every number, in the okrgraph
cells and in the floor alike, which is why the floor is measured the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import resource
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets import ConnectionClosed, Subprotocol
from websockets.asyncio.client import ClientConnection, connect

from tests.bench.report import percentile

SUBPROTOCOL = Subprotocol("graphql-transport-ws")
SEQUENCE = re.compile(r'"sequence":\s*(\d+)')
OPENING = 100  # handshakes in flight at once: enough to be quick, few enough for the backlog
ATTEMPT = 10.0  # seconds for a warm-up event to reach everyone before trying another
WARM_UP_ATTEMPTS = 10


def raise_fd_limit(needed: int) -> None:
    """Raise this process's soft limit on open files to `needed` (or the hard limit) if below;
    child processes started afterwards (the servers) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        ceiling = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


class Arrivals:
    """When each event's frame reached each subscriber, by the event's sequence number."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.times: dict[int, dict[int, float]] = {}  # sequence -> subscriber -> arrival
        self.errors: list[str] = []
        self.sample: str | None = None
        self._latest = 0
        self._changed = asyncio.Event()

    def record(self, subscriber: int, sequence: int, at: float, frame: str) -> None:
        """A frame reached a subscriber: wake the waiting round only when that matters (a new
        event, or the last subscriber), so the stamps of the others are not delayed by it."""
        got = self.times.setdefault(sequence, {})
        if subscriber in got:
            self.fail(f"event {sequence} reached subscriber {subscriber} twice")
            return
        got[subscriber] = at
        self.sample = frame
        if sequence > self._latest or len(got) == self.size:
            self._latest = max(self._latest, sequence)
            self._changed.set()

    def fail(self, frame: str) -> None:
        self.errors.append(frame)
        self._changed.set()

    @property
    def latest(self) -> int:
        """The highest sequence number received so far (0: none yet)."""
        return self._latest

    async def _until(self, done: Callable[[], bool]) -> None:
        while not done():
            if self.errors:
                raise AssertionError(f"a subscriber received an error: {self.errors[0]}")
            self._changed.clear()
            await self._changed.wait()
        if self.errors:
            raise AssertionError(f"a subscriber received an error: {self.errors[0]}")

    async def next_after(self, sequence: int) -> int:
        """The sequence number of the first event after `sequence` to reach anyone."""
        await self._until(lambda: self._latest > sequence)
        return min(s for s in self.times if s > sequence)

    async def everyone(self, sequence: int) -> list[float]:
        """The arrival times of an event once every subscriber has it."""
        await self._until(lambda: len(self.times.get(sequence, ())) == self.size)
        return list(self.times[sequence].values())


@dataclass
class Swarm:
    """N open connections and their reader tasks."""

    arrivals: Arrivals
    sockets: list[ClientConnection] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def extensions(self) -> str:
        """The WebSocket extensions the server agreed to (permessage-deflate, or none)."""
        response = self.sockets[0].response if self.sockets else None
        if response is None:
            return ""
        return response.headers.get("Sec-WebSocket-Extensions", "")


async def _read(socket: ClientConnection, subscriber: int, arrivals: Arrivals) -> None:
    try:
        async for raw in socket:
            at = time.perf_counter()
            frame = raw if isinstance(raw, str) else raw.decode()
            found = SEQUENCE.search(frame)
            if found is not None:
                arrivals.record(subscriber, int(found.group(1)), at, frame)
                continue
            message: dict[str, Any] = json.loads(frame)
            if message.get("type") == "ping":
                await socket.send(json.dumps({"type": "pong"}))
            elif message.get("type") != "pong":
                arrivals.fail(frame)  # an error, a complete, or a `next` without data
    except ConnectionClosed:
        arrivals.fail("the server closed a subscriber's connection")


async def _open(
    url: str, subscribe: dict[str, Any] | None, init: dict[str, str], gate: asyncio.Semaphore
) -> ClientConnection:
    async with gate:
        socket = await connect(url, subprotocols=[SUBPROTOCOL], ping_interval=None, open_timeout=60)
        if subscribe is not None:
            await socket.send(json.dumps({"type": "connection_init", "payload": init}))
            ack = json.loads(await socket.recv())
            if ack.get("type") != "connection_ack":
                await socket.close()
                raise AssertionError(f"no connection_ack: {ack}")
            await socket.send(json.dumps({"type": "subscribe", "id": "1", "payload": subscribe}))
        return socket


@contextlib.asynccontextmanager
async def swarm(
    url: str, size: int, subscribe: dict[str, Any] | None, init: dict[str, str] | None = None
) -> AsyncIterator[Swarm]:
    """`size` connections to the WebSocket `url`; with `subscribe` (a GraphQL request), each
    speaks graphql-transport-ws, signs in with `init` as connection_init's payload (an
    `Authorization` header) and starts that one subscription. All are closed on exit."""
    made = Swarm(Arrivals(size))
    gate = asyncio.Semaphore(OPENING)
    opening = [asyncio.ensure_future(_open(url, subscribe, init or {}, gate)) for _ in range(size)]
    try:
        for opened in await asyncio.gather(*opening, return_exceptions=True):
            if isinstance(opened, BaseException):
                raise opened
            made.sockets.append(opened)
        for subscriber, socket in enumerate(made.sockets):
            made.readers.append(asyncio.create_task(_read(socket, subscriber, made.arrivals)))
        yield made
    finally:
        for pending in opening:
            pending.cancel()
        for opened in await asyncio.gather(*opening, return_exceptions=True):
            if isinstance(opened, ClientConnection) and opened not in made.sockets:
                made.sockets.append(opened)
        # A complete first, as a well-behaved client does, so that the server ends the
        # subscription on its own instead of finding a dead socket.
        closing = [_leave(socket, subscribed=subscribe is not None) for socket in made.sockets]
        await asyncio.gather(*closing, return_exceptions=True)
        await asyncio.gather(*made.readers, return_exceptions=True)


async def _leave(socket: ClientConnection, *, subscribed: bool) -> None:
    with contextlib.suppress(ConnectionClosed):
        if subscribed:
            await socket.send(json.dumps({"type": "complete", "id": "1"}))
    await socket.close()


@dataclass(frozen=True)
class Round:
    """One event: from the trigger's HTTP response to each subscriber's arrival, in seconds."""

    latencies: list[float]
    response: float  # the trigger's own HTTP round trip

    @property
    def last(self) -> float:
        return max(self.latencies)


@dataclass(frozen=True)
class Measured:
    """The rounds of one cell."""

    rounds: list[Round]

    @property
    def latencies(self) -> list[float]:
        return [t for found in self.rounds for t in found.latencies]

    @property
    def lasts(self) -> list[float]:
        return [found.last for found in self.rounds]

    @property
    def responses(self) -> list[float]:
        return [found.response for found in self.rounds]

    def p(self, share: float) -> float:
        return percentile(self.latencies, share)


async def one_round(arrivals: Arrivals, trigger: Callable[[], Awaitable[None]]) -> Round:
    """Trigger an event (`trigger()` returns once its HTTP response is read), wait until every
    subscriber has it, and time each arrival from that response. A lost event waits forever:
    bound the call with `asyncio.timeout`."""
    before = arrivals.latest
    sent = time.perf_counter()
    await trigger()
    answered = time.perf_counter()
    sequence = await arrivals.next_after(before)
    times = await arrivals.everyone(sequence)
    return Round([t - answered for t in times], answered - sent)


async def warm_up(arrivals: Arrivals, trigger: Callable[[], Awaitable[None]]) -> None:
    """Trigger events until two in a row reach every subscriber within `ATTEMPT` seconds: the
    last subscriptions are attached, and the code paths warm, before anything is measured. An
    event that reaches nobody waits forever: bound the call with `asyncio.timeout`."""
    complete = 0
    for _ in range(WARM_UP_ATTEMPTS):
        before = arrivals.latest
        await trigger()
        sequence = await arrivals.next_after(before)
        try:
            async with asyncio.timeout(ATTEMPT):
                await arrivals.everyone(sequence)
        except TimeoutError:
            complete = 0  # someone was not subscribed yet when it was published
            continue
        complete += 1
        if complete == 2:
            return
    raise AssertionError(f"events did not reach all {arrivals.size} subscribers")
