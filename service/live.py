"""Live updates over WebSocket: each event rendered once for every identical subscription.

A thousand dashboards watching one organization send the same subscription; executing its
selection a thousand times per event was most of the time an event took to reach them all
(tests/bench). Over both WebSocket protocols, subscriptions with the same document, variables,
operation name and viewer form a *feed*: one stream of the feed's own, on a context of its own,
renders each event once, and every member receives the same serialized payload under its own
operation id.

Each member still runs its own stream up to the point where it would start listening: parsing,
validation, limits, the resolver's checks (the scope, the organization, 50 per connection), the
accounting and every error before that are its own. Then the resolver asks the member's relay
(`schema.subscriptions.RELAY`) instead of the bus: it waits there while the feed's frames go out
through a bounded queue of the member's own (too far behind: SUBSCRIBER_TOO_SLOW, for that member
alone), and ends when the feed does, so `complete` follows as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, aclosing
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult

from schema.context import Context, build_context
from schema.subscriptions import RELAY
from service.events import Event, SubscriberTooSlow
from service.events.subscription import too_slow
from service.heap import ChurnCollector

logger = logging.getLogger(__name__)

MAX_QUEUED = 100  # frames waiting for one member, as events wait for one bus subscriber


@dataclass(frozen=True, slots=True)
class FeedKey:
    """What makes two subscriptions identical: the request, and what the answer may depend on
    besides it. A context's store shows one organization (or all, authentication off) and the
    role decides what may be done; no field reachable from a subscription reads the subject,
    so the subscriptions of everyone in one organization with one role share a feed."""

    query: str
    variables: str  # canonical JSON
    operation_name: str | None
    authenticated: bool
    organization: str | None  # the principal's slug
    role: int | None
    org_id: str | None  # the organization the store shows
    listens_to: str  # the organization whose events the subscription listens to


def _key(
    query: str,
    variables: dict[str, object] | None,
    operation_name: str | None,
    context: Context,
    listens_to: str,
) -> FeedKey:
    principal = context.principal
    return FeedKey(
        query=query,
        variables=json.dumps(variables or {}, sort_keys=True, separators=(",", ":")),
        operation_name=operation_name,
        authenticated=context.authenticated,
        organization=principal.organization if principal else None,
        role=int(principal.role) if principal else None,
        org_id=context.org_id,
        listens_to=listens_to,
    )


async def _own_context(of: Context) -> Context:
    """A context like a member's (same store view, clock, bus and cache) for a feed's stream,
    without metrics: the feed is not a subscription of its own, its members are."""
    made = build_context(
        of.shared,
        reads=of.reads,
        writer=of.process_writer,
        clock=of.clock,
        authenticated=of.authenticated,
        events=of.events,
    )
    if of.principal is not None:
        await made.sign_in(of.principal)
    return made


def payload_of(result: ExecutionResult, encode: Callable[[object], str]) -> str:
    """A result as both protocols carry it (`next` and `data` payloads), serialized."""
    payload: dict[str, object] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return encode(payload)


class Member:
    """One operation's end of a feed: the relay its stream hands over to, and the queue of
    frames the feed rendered for it. Made for every operation of a WebSocket; only a
    subscription that passed its checks joins a feed."""

    def __init__(
        self,
        feeds: Feeds,
        *,
        query: str,
        variables: dict[str, object] | None,
        operation_name: str | None,
        context: Context,
        send: Callable[[str], Awaitable[None]],
        frame: Callable[[str], str],
    ) -> None:
        self._feeds = feeds
        self.request = (query, variables, operation_name)
        self.context = context
        self._send = send
        self._frame = frame
        self._queue: deque[str] = deque()
        self._wakeup = asyncio.Event()
        self._ended = False
        self._too_slow: str | None = None

    def subscribe(
        self, org_id: str, scope: str
    ) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Join the feed of this request (`Relay.subscribe`); the events are the feed's."""
        return self._joined(org_id)

    @contextlib.asynccontextmanager
    async def _joined(self, org_id: str) -> AsyncIterator[AsyncIterator[Event]]:
        query, variables, operation_name = self.request
        key = _key(query, variables, operation_name, self.context, org_id)
        feed = self._feeds.join(key, self)
        try:
            await feed.listening()
            yield self._served()
        finally:
            feed.leave(self)

    async def _served(self) -> AsyncIterator[Event]:
        """Send the feed's frames as they come; the stream renders nothing itself."""
        while True:
            if self._too_slow is not None:
                raise SubscriberTooSlow(self._too_slow)
            if self._queue:
                try:
                    await self._send(self._frame(self._queue.popleft()))
                except WebSocketDisconnect:
                    return  # the connection is gone; its handler ends the operation
                if self.context.metrics is not None:
                    self.context.metrics.delivered.inc()
                continue
            if self._ended:
                return
            self._wakeup.clear()
            await self._wakeup.wait()
        yield  # pragma: no cover  (never reached: it makes this an async generator)

    def deliver(self, payload: str, org_id: str) -> None:
        """Queue a rendered payload without waiting; on overflow, end this member as too slow."""
        if self._ended:
            return
        if len(self._queue) >= MAX_QUEUED:
            self._too_slow = too_slow(MAX_QUEUED, org_id)
            self._ended = True
            self._queue.clear()
        else:
            self._queue.append(payload)
        self._wakeup.set()

    def finish(self) -> None:
        """The feed ended: send what is queued, then end."""
        self._ended = True
        self._wakeup.set()


class Feed:
    """The members of one `FeedKey` and the stream that renders each event for all of them."""

    def __init__(self, feeds: Feeds, key: FeedKey, first: Member) -> None:
        self._feeds = feeds
        self.key = key
        self.members: dict[Member, None] = {}
        self._listening = asyncio.Event()
        self._context: Context | None = None  # the feed's own, made when its stream starts
        self.ended = False
        self._task = asyncio.create_task(self._render(first), name="okrgraph-feed")

    async def listening(self) -> None:
        """Return once the feed listens to the bus (an event published now reaches it), or
        ended trying."""
        await self._listening.wait()

    def leave(self, member: Member) -> None:
        """A member is done; the last one to leave stops the feed."""
        if member in self.members:
            del self.members[member]
            self._feeds.members -= 1
            # What it leaves behind is for the collector.
            self._feeds.collector.changed(self._feeds.members)

        if not self.members and not self.ended:
            self._end()
            self._task.cancel()

    def subscribe(
        self, org_id: str, scope: str
    ) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """The bus's events that moved `scope`, for the feed's own stream (its `Relay`)."""
        return self._bus_events(org_id, scope)

    @contextlib.asynccontextmanager
    async def _bus_events(self, org_id: str, scope: str) -> AsyncIterator[AsyncIterator[Event]]:
        stream = self._context.events if self._context is not None else None
        assert stream is not None  # the resolver checked that its context has one
        async with stream.subscribe(org_id, scope=scope) as events:
            self._listening.set()
            yield events

    async def _render(self, first: Member) -> None:
        RELAY.set(self)  # this task's context is a copy of the first member's: its own now
        query, variables, operation_name = first.request
        encode = self._feeds.encode
        try:
            self._context = context = await _own_context(first.context)
            stream = await self._feeds.schema.subscribe(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
            )
            async with aclosing(stream):
                async for result in stream:
                    payload = payload_of(result, encode)
                    for member in tuple(self.members):
                        member.deliver(payload, self.key.listens_to)
        except Exception:
            logger.exception("a subscription feed failed")
        finally:
            self._end()

    def _end(self) -> None:
        if self.ended:
            return
        self.ended = True
        self._feeds.forget(self)
        self._listening.set()
        for member in self.members:
            member.finish()


class Feeds:
    """The feeds of one app on this instance, by key."""

    def __init__(
        self,
        schema: BaseSchema,
        encode: Callable[[object], str],
        collector: ChurnCollector | None = None,
    ) -> None:
        self.schema = schema
        self.encode = encode
        self.collector = collector or ChurnCollector()
        self.members = 0
        """Members of every feed: the WebSocket subscriptions of this instance."""
        self._by_key: dict[FeedKey, Feed] = {}

    def join(self, key: FeedKey, member: Member) -> Feed:
        """The member in the feed of its key, started if there is none."""
        feed = self._by_key.get(key)
        if feed is None:
            feed = self._by_key[key] = Feed(self, key, member)
        feed.members[member] = None
        self.members += 1
        self.collector.changed(self.members)
        return feed

    def forget(self, feed: Feed) -> None:
        """An ended feed: the next member of its key starts a new one."""
        if self._by_key.get(feed.key) is feed:
            del self._by_key[feed.key]

    def __len__(self) -> int:
        return len(self._by_key)


def _next_frame(operation_id: str) -> Callable[[str], str]:
    # As strawberry's send_next encodes {"id", "type": "next", "payload"}, byte for byte.
    head = '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":'
    return lambda payload: head + payload + "}"


def _data_frame(operation_id: str) -> Callable[[str], str]:
    # As strawberry's send_data_message encodes {"type": "data", "id", "payload"}.
    head = '{"type":"data","id":' + json.dumps(operation_id) + ',"payload":'
    return lambda payload: head + payload + "}"


def _sender(websocket: object) -> Callable[[str], Awaitable[None]]:
    return cast(ASGIWebSocketAdapter, websocket).ws.send_text


class _TransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    feeds: ClassVar[Feeds]

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        RELAY.set(
            Member(
                self.feeds,
                query=operation.query,
                variables=operation.variables,
                operation_name=operation.operation_name,
                context=self.context,
                send=_sender(self.websocket),
                frame=_next_frame(operation.id),
            )
        )
        await super().run_operation(operation)


class _LegacyWS(BaseGraphQLWSHandler[Context, None]):
    feeds: ClassVar[Feeds]

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        RELAY.set(
            Member(
                self.feeds,
                query=query,
                variables=variables,
                operation_name=operation_name,
                context=self.context,
                send=_sender(self.websocket),
                frame=_data_frame(operation_id),
            )
        )
        await super().handle_async_results(operation_id, query, operation_name, variables)


def live_handlers(
    feeds: Feeds,
    transport_ws: type[BaseGraphQLTransportWSHandler[Any, Any]],
    legacy_ws: type[BaseGraphQLWSHandler[Any, Any]],
) -> tuple[type[BaseGraphQLTransportWSHandler[Any, Any]], type[BaseGraphQLWSHandler[Any, Any]]]:
    """The two WebSocket protocols' handlers, `transport_ws` and `legacy_ws` (strawberry's, or
    subclasses of them) with their subscriptions grouped into `feeds`. Each operation runs in
    a task of its own, so the relay set there is that operation's alone."""
    made_transport = type("LiveTransportWS", (_TransportWS, transport_ws), {"feeds": feeds})
    made_legacy = type("LiveLegacyWS", (_LegacyWS, legacy_ws), {"feeds": feeds})
    return (
        cast(type[BaseGraphQLTransportWSHandler[Any, Any]], made_transport),
        cast(type[BaseGraphQLWSHandler[Any, Any]], made_legacy),
    )
