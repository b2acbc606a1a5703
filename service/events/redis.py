"""The Redis bus: one pub/sub channel per organization, one pub/sub connection per instance.

A listener task owns the pub/sub connection: it subscribes the channels of the organizations
that have local subscribers, hands each message to them, and when Redis goes away it reconnects
with backoff and subscribes those channels again. Publishing uses the client's pool; a failed
publish is counted and logged, never raised: writes must not fail because events cannot travel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from service.events.bus import CLOSED, BusHealth, check_organization
from service.events.event import Event
from service.events.subscription import Fanout, Subscription

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "okrgraph:events:"
# What a lost or refused connection raises: redis-py's errors, or the socket's own.
LOST = (RedisError, OSError)


def channel(org_id: str) -> str:
    """The pub/sub channel of an organization's events."""
    return CHANNEL_PREFIX + org_id


class RedisBus:
    """`EventBus` over Redis pub/sub, for several instances of the service."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 2.0,
        backoff: tuple[float, float] = (0.05, 2.0),
        poll: float = 1.0,
    ) -> None:
        # No retries inside redis-py (its default retries for seconds): a publish during an
        # outage fails at once (`_send` tries twice), and the listener does its own backoff.
        self._client: Redis = Redis.from_url(
            url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )
        self._timeout = timeout
        self._backoff = backoff
        self._poll = poll
        self._fanout = Fanout()
        self._pubsub: PubSub | None = None
        self._confirmed: dict[str, asyncio.Event] = {}
        self._resubscribing: set[str] = set()
        self._reason: str | None = "not connected to Redis yet"
        self._outage = False
        self._dropped = 0
        self._closed = False
        self._listener: asyncio.Task[None] | None = None
        self._tried = asyncio.Event()
        self._chores: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start the listener; return once it connected or failed to, once."""
        if self._closed:
            raise RuntimeError(CLOSED)
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="okrgraph-events-listener")
        await self._tried.wait()

    async def close(self) -> None:
        """End every subscription, stop the listener and close the connections."""
        if self._closed:
            return
        self._closed = True
        self._fanout.finish_all()
        tasks = [*self._chores, *([self._listener] if self._listener else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    async def publish(self, org_id: str, event: Event) -> None:
        """Publish to the organization's channel; on failure, count the drop and log it."""
        check_organization(org_id, event)
        if self._closed:
            self._drop(org_id, event, CLOSED)
            return
        try:
            await self._send(channel(org_id), event.to_json())
        except LOST as error:
            self._drop(org_id, event, repr(error))

    async def _send(self, name: str, payload: str) -> None:
        try:
            await self._client.publish(name, payload)
        except RedisConnectionError:
            # A pooled connection can predate a Redis restart (redis-py only notices when it is
            # used); it is closed now, so one more try runs on a fresh connection.
            await self._client.publish(name, payload)

    def subscribe(self, org_id: str, *, max_queued: int = 100) -> Subscription:
        """A subscription to the organization's events (enter it to start receiving)."""
        return Subscription(org_id, max_queued=max_queued, attach=self._attach, detach=self._detach)

    def health(self) -> BusHealth:
        """Ok when the listener is connected and its channels are subscribed again."""
        if self._closed:
            return BusHealth(ok=False, reason=CLOSED, dropped=self._dropped)
        if self._pubsub is None or self._resubscribing:
            reason = self._reason or "resubscribing to Redis channels"
            return BusHealth(ok=False, reason=reason, dropped=self._dropped)
        return BusHealth(ok=True, dropped=self._dropped)

    # Subscribers ---------------------------------------------------------------------------

    async def _attach(self, subscription: Subscription) -> None:
        """Register the subscriber; wait until Redis confirmed its channel, when connected (an
        event published after that reaches it). While Redis is away, the listener subscribes
        the channel once it is back."""
        if self._closed:
            raise RuntimeError(CLOSED)
        name = channel(subscription.org_id)
        first = self._fanout.add(subscription)
        confirmed = self._confirmed.setdefault(name, asyncio.Event())
        pubsub = self._pubsub
        if pubsub is None or confirmed.is_set():
            return
        try:
            if first:
                await pubsub.subscribe(name)
            await asyncio.wait_for(confirmed.wait(), self._timeout)
        except (*LOST, TimeoutError) as error:
            # The listener sees the same failure and subscribes again after reconnecting.
            logger.info("subscribing %s not confirmed yet: %r", name, error)

    def _detach(self, subscription: Subscription) -> None:
        if self._fanout.remove(subscription) and not self._closed:
            name = channel(subscription.org_id)
            self._confirmed.pop(name, None)
            self._resubscribing.discard(name)
            self._chore(self._unsubscribe, subscription.org_id)

    async def _unsubscribe(self, org_id: str) -> None:
        pubsub = self._pubsub
        # A subscriber may have come back meanwhile; then the channel stays.
        if pubsub is not None and not self._fanout.has(org_id):
            await pubsub.unsubscribe(channel(org_id))

    async def _resubscribe(self, org_id: str) -> None:
        pubsub = self._pubsub
        if pubsub is not None and self._fanout.has(org_id):
            await pubsub.subscribe(channel(org_id))

    def _chore(self, work: Callable[[str], Awaitable[None]], org_id: str) -> None:
        """Run a subscribe/unsubscribe in the background; its failure is the listener's."""

        async def quietly() -> None:
            try:
                await work(org_id)
            except LOST as error:
                logger.info("pub/sub command failed: %r", error)

        task = asyncio.create_task(quietly())
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    # The listener --------------------------------------------------------------------------

    async def _listen(self) -> None:
        low, cap = self._backoff
        delay = low
        while True:
            pubsub = self._client.pubsub()
            try:
                # redis-py leaves PubSub.connect and .aclose unannotated.
                await pubsub.connect()  # type: ignore[no-untyped-call]
                await self._connected(pubsub)
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
                self._pubsub = None
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            self._tried.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, cap)

    async def _connected(self, pubsub: PubSub) -> None:
        # No await between publishing the connection and listing the channels: a subscriber
        # attaching now is either in the list or sees the connection and subscribes itself.
        self._pubsub = pubsub
        names = [channel(org_id) for org_id in self._fanout.organizations()]
        self._resubscribing = set(names)
        self._reason = None
        if self._outage:
            self._outage = False
            logger.warning("event bus reached Redis again")
        if names:
            await pubsub.subscribe(*names)
            logger.info("subscribed again to %d event channel(s)", len(names))

    def _lost(self, error: BaseException, *, retry_in: float) -> None:
        self._reason = f"Redis unreachable: {error!r}"
        for confirmed in self._confirmed.values():
            confirmed.clear()
        # One warning per outage; the retries themselves are debug noise.
        log = logger.debug if self._outage else logger.warning
        self._outage = True
        log("event bus cannot reach Redis (%r); retrying in %.2f s", error, retry_in)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        name = _text(message["channel"])
        org_id = name.removeprefix(CHANNEL_PREFIX)
        if kind == "message":
            try:
                event = Event.from_json(message["data"])
            except ValueError as error:
                logger.warning("ignored a malformed event on %s: %s", name, error)
                return
            self._fanout.deliver(org_id, event)
        elif kind == "subscribe":
            self._resubscribing.discard(name)
            if self._fanout.has(org_id):
                self._confirmed.setdefault(name, asyncio.Event()).set()
        elif kind == "unsubscribe" and self._fanout.has(org_id):
            # A subscriber arrived while the channel was being left: join it again.
            self._confirmed.setdefault(name, asyncio.Event()).clear()
            self._chore(self._resubscribe, org_id)

    def _drop(self, org_id: str, event: Event, reason: str) -> None:
        self._dropped += 1
        logger.warning(
            "dropped event %d of organization %s (%d dropped so far): %s",
            event.sequence,
            org_id,
            self._dropped,
            reason,
        )


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
