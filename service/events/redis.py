"""The Redis bus: notices of new changes on one pub/sub channel, for several instances.

A listener task owns the pub/sub connection: it hands each notice on, and when Redis goes away
it reconnects with backoff. A sender task publishes notices from a bounded queue, each with a
timeout, retrying one until it goes through: a write only puts its notice in the queue, so a
Redis that is down or hangs never holds a write up; a queue that fills during a long outage
drops its oldest notices (counted; the event stream's poll reads the log anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from service.events.bus import CLOSED, BusHealth, Notice

logger = logging.getLogger(__name__)

CHANNEL = "okrgraph:changes"
# What a lost or refused connection raises: redis-py's errors, or the socket's own.
LOST = (RedisError, OSError, TimeoutError)
QUEUED = 1000
"""Notices waiting to be sent at most."""


def notice_text(origin: str, org_id: str, sequence: int) -> str:
    """A notice as it travels: who sent it, the organization, the sequence."""
    return f"{origin} {org_id} {sequence}"


def notice_of(text: str) -> tuple[str, str, int] | None:
    """A notice back from its text; None when the text is not one."""
    parts = text.split(" ")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


class RedisBus:
    """`NoticeBus` over Redis pub/sub."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 2.0,
        backoff: tuple[float, float] = (0.05, 2.0),
        poll: float = 1.0,
    ) -> None:
        # No retries inside redis-py (its default retries for seconds): the sender gives up on a
        # notice at once, and the listener does its own backoff.
        self._client: Redis = Redis.from_url(
            url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )
        self._origin = os.urandom(6).hex()
        self._timeout = timeout
        self._backoff = backoff
        self._poll = poll
        self._listeners: list[Notice] = []
        self._pending: deque[tuple[str, int]] = deque(maxlen=QUEUED)
        self._wakeup = asyncio.Event()
        self._connected = False
        self._reason: str | None = "not connected to Redis yet"
        self._outage = False
        self._dropped = 0
        self._closed = False
        self._tasks: list[asyncio.Task[None]] = []
        self._tried = asyncio.Event()

    async def start(self) -> None:
        """Start the listener and the sender; return once the listener connected or failed
        to, once."""
        if self._closed:
            raise RuntimeError(CLOSED)
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._listen(), name="okrgraph-bus-listener"),
                asyncio.create_task(self._send(), name="okrgraph-bus-sender"),
            ]
        await self._tried.wait()

    async def close(self) -> None:
        """Stop both tasks and close the connections."""
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    def announce(self, org_id: str, sequence: int) -> None:
        """Queue the notice for the sender."""
        if self._closed:
            return
        if len(self._pending) == self._pending.maxlen:
            self._dropped += 1
        self._pending.append((org_id, sequence))
        self._wakeup.set()

    def listen(self, noticed: Notice) -> None:
        """Hand every notice from another instance to `noticed`."""
        self._listeners.append(noticed)

    def health(self) -> BusHealth:
        """Ok when the listener is connected."""
        if self._closed:
            return BusHealth(ok=False, reason=CLOSED, dropped=self._dropped)
        if not self._connected:
            reason = self._reason or "not connected to Redis"
            return BusHealth(ok=False, reason=reason, dropped=self._dropped)
        return BusHealth(ok=True, dropped=self._dropped)

    # The sender -----------------------------------------------------------------------------

    async def _send(self) -> None:
        """Send the oldest notice until it goes through, then the next: a notice waits out an
        outage (a full queue drops the oldest instead), so notices arrive in order."""
        low, cap = self._backoff
        delay = low
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            org_id, sequence = self._pending[0]
            try:
                await asyncio.wait_for(
                    self._client.publish(CHANNEL, notice_text(self._origin, org_id, sequence)),
                    self._timeout,
                )
            except LOST as error:
                logger.debug("could not send the notice of %s/%d yet: %r", org_id, sequence, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, cap)
                continue
            delay = low
            if self._pending and self._pending[0] == (org_id, sequence):
                self._pending.popleft()

    # The listener ---------------------------------------------------------------------------

    async def _listen(self) -> None:
        low, cap = self._backoff
        delay = low
        while True:
            pubsub: PubSub = self._client.pubsub()
            try:
                # redis-py leaves PubSub.connect and .aclose unannotated.
                await pubsub.connect()  # type: ignore[no-untyped-call]
                await pubsub.subscribe(CHANNEL)
                self._connected = True
                self._reason = None
                if self._outage:
                    self._outage = False
                    logger.warning("event bus reached Redis again")
                delay = low
                self._tried.set()
                while True:
                    message = await pubsub.get_message(timeout=self._poll)
                    if message is not None:
                        self._handle(message)
            except LOST as error:
                self._lost(error, retry_in=delay)
            except Exception as error:
                # A bug must not end the listener for good: report it, then start over.
                logger.exception("event bus listener failed")
                self._lost(error, retry_in=delay)
            finally:
                self._connected = False
                with contextlib.suppress(*LOST):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            self._tried.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, cap)

    def _lost(self, error: BaseException, *, retry_in: float) -> None:
        self._reason = f"Redis unreachable: {error!r}"
        # One warning per outage; the retries themselves are debug noise.
        log = logger.debug if self._outage else logger.warning
        self._outage = True
        log("event bus cannot reach Redis (%r); retrying in %.2f s", error, retry_in)

    def _handle(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        data = message["data"]
        text = data.decode() if isinstance(data, bytes) else str(data)
        found = notice_of(text)
        if found is None:
            logger.warning("ignored a malformed notice: %r", text[:100])
            return
        origin, org_id, sequence = found
        if origin == self._origin:
            return  # our own: this instance applied it as it wrote it
        for noticed in list(self._listeners):
            try:
                noticed(org_id, sequence)
            except Exception:
                logger.exception("a notice listener failed")
