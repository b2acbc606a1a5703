"""The root Subscription: progress as it changes, for any scope, from any instance."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Protocol

import strawberry
from graphql import GraphQLError

from schema.context import Context, Info
from schema.ids import GlobalId, parse_global_id, to_global_id
from schema.nodes import Node, load_global, load_node
from schema.types import CheckIn, KeyResult, member
from schema.types.progress import Progress
from service.auth import Principal, TokenExpired
from service.events import Event, EventStream, ResumeTooOld, SubscriberTooSlow
from service.events.event import ScopeChange
from service.events.reminders import DueNotice
from service.events.subscription import Subscription as EventSubscription
from service.observability import Metrics

if TYPE_CHECKING:
    from schema.types.member import Member

SCOPES = frozenset({"KeyResult", "Objective", "Cycle", "Department", "Organization"})
MAX_PER_CONNECTION = 50


class Relay(Protocol):
    """A transport that renders each event once for a group of identical subscriptions and
    sends every member the same payload (service/live.py). It is set in `RELAY` around one
    subscription's stream; the resolver asks it, once its checks passed, for the events to
    listen to instead of asking the bus."""

    def subscribe(
        self, org_id: str, scope: str
    ) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """The events this stream renders itself: those that moved `scope` for the stream
        that renders for the group; none for a member, which waits here while the relay sends
        it what was rendered, until the group ends (or raises `SubscriberTooSlow` when it fell
        behind)."""
        ...


RELAY: ContextVar[Relay | None] = ContextVar("okrgraph_relay", default=None)
"""The relay of the subscription whose stream runs in this task, if its transport has one."""


@strawberry.type(description="How one scope's progress moved, and why.")
class ProgressEvent:
    sequence: int = strawberry.field(
        description="The change's place in the organization's change log. Events come in "
        "sequence order, each change once; the numbers between two events are changes that "
        "did not move this scope. After a disconnect, subscribe again with `afterSequence` "
        "set to the last one seen: nothing is missed."
    )
    at: datetime = strawberry.field(description="When the change was stored.")
    previous: Progress | None = strawberry.field(description="The scope's progress before.")
    current: Progress = strawberry.field(description="The scope's progress after, recomputed.")
    node_id: strawberry.Private[str]
    cause_id: strawberry.Private[str | None]

    @strawberry.field(description="The subscribed scope.")
    async def node(self, info: Info) -> Node:
        found = await load_node(info, self.node_id)
        if found is None:
            raise GraphQLError("the scope is gone", extensions={"code": "NOT_FOUND"})
        return found

    @strawberry.field(description="The check-in that caused the change; null for other edits.")
    async def cause(self, info: Info) -> CheckIn | None:
        if self.cause_id is None:
            return None
        found = parse_global_id(self.cause_id)
        node = await load_global(info, found) if found else None
        return node if isinstance(node, CheckIn) else None


@strawberry.type(description="A key result became due a check-in.")
class CheckInDueEvent:
    sequence: int = strawberry.field(
        description="The notice's place in the organization's change log (resume after it)."
    )
    at: datetime = strawberry.field(description="When the notice was written.")
    due_since: datetime = strawberry.field(
        description="When the key result became due: a check-in cadence after `silentSince`."
    )
    silent_since: datetime = strawberry.field(
        description="Its last check-in, or, without one, its cycle's start (or its creation, "
        "if later)."
    )
    owner_id: strawberry.Private[str | None]
    org_id: strawberry.Private[str]
    node_id: strawberry.Private[str]
    key_result_id: strawberry.Private[str]

    @classmethod
    def of(cls, event: Event, notice: DueNotice, scope_id: str) -> CheckInDueEvent:
        return cls(
            sequence=event.sequence,
            at=event.at,
            due_since=notice.due_at,
            silent_since=notice.silent_since,
            owner_id=notice.owner,
            org_id=event.org_id,
            node_id=scope_id,
            key_result_id=to_global_id("KeyResult", event.org_id, notice.key_result_id),
        )

    @strawberry.field(description="The subscribed scope.")
    async def node(self, info: Info) -> Node | None:
        return await load_node(info, self.node_id)

    @strawberry.field(
        description="The member who answered for it when it became due; null: nobody.",
        graphql_type=Annotated["Member", strawberry.lazy("schema.types.member")] | None,
    )
    def owner(self, info: Info) -> Member | Awaitable[Member | None] | None:
        return member.owner(info, self.org_id, self.owner_id)

    @strawberry.field(description="The key result due (null once deleted).")
    async def key_result(self, info: Info) -> KeyResult | None:
        found = await load_node(info, self.key_result_id)
        return found if isinstance(found, KeyResult) else None


# One event reaches every local subscriber of its scope: its GraphQL value is built once and
# shared (the values are immutable), keyed by (organization, sequence, scope).
_BUILT: OrderedDict[tuple[str, int, str], ProgressEvent | None] = OrderedDict()
_BUILT_MAX = 4096


def _shared(
    change: ScopeChange, org_id: str, scope_id: str, sequence: int, at: datetime, cause: str | None
) -> ProgressEvent | None:
    key = (org_id, sequence, scope_id)
    if key not in _BUILT:
        _BUILT[key] = _event(change, org_id, scope_id, sequence, at, cause)
        while len(_BUILT) > _BUILT_MAX:
            _BUILT.popitem(last=False)
    return _BUILT[key]


def _event(
    change: ScopeChange, org_id: str, scope_id: str, sequence: int, at: datetime, cause: str | None
) -> ProgressEvent | None:
    current = change.current_progress()
    if current is None:  # the scope itself was deleted
        return None
    previous = change.previous_progress()
    return ProgressEvent(
        sequence=sequence,
        at=at,
        previous=Progress.from_domain(previous, org_id) if previous else None,
        current=Progress.from_domain(current, org_id),
        node_id=scope_id,
        cause_id=to_global_id("CheckIn", org_id, cause) if cause else None,
    )


@contextmanager
def _active(metrics: Metrics | None) -> Iterator[None]:
    """Count the subscription as active while it listens: an event published from the moment
    it is counted reaches it."""
    if metrics is None:
        yield
        return
    metrics.subscriptions.inc()
    try:
        yield
    finally:
        metrics.subscriptions.dec()


EXPIRED = "the token has expired: subscribe again with a new one"


def _expire_with_token(events: object, principal: Principal | None) -> asyncio.TimerHandle | None:
    """End `events` with TokenExpired when the caller's token expires (a token is checked when
    a request arrives; a subscription outlives its request). A subscription shared through a
    WebSocket feed ends with its connection, which is closed then (service/expiry.py)."""
    left = principal.seconds_left() if principal is not None else None
    if left is None or not isinstance(events, EventSubscription):
        return None
    return asyncio.get_running_loop().call_later(max(left, 0), events.fail, TokenExpired(EXPIRED))


@contextmanager
def _counted(context: Context) -> Iterator[None]:
    """Count a subscription against its connection's limit while it runs, and end it with a
    coded error when its stream fails (token expired, too slow, resumed too far back)."""
    context.subscriptions += 1
    try:
        yield
    except TokenExpired as error:
        raise GraphQLError(str(error), extensions={"code": "UNAUTHENTICATED"}) from error
    except SubscriberTooSlow as error:
        raise GraphQLError(str(error), extensions={"code": "SUBSCRIBER_TOO_SLOW"}) from error
    except ResumeTooOld as error:
        raise GraphQLError(str(error), extensions={"code": "RESUME_TOO_OLD"}) from error
    finally:
        context.subscriptions -= 1


@contextmanager
def _listening(events: object, context: Context) -> Iterator[None]:
    """While a subscription listens to `events`: active in the metrics, and ended when the
    caller's token expires."""
    expiry = _expire_with_token(events, context.principal)
    try:
        with _active(context.metrics):
            yield
    finally:
        if expiry is not None:
            expiry.cancel()


async def _watched(
    info: Info, scope_id: str, after_sequence: int | None
) -> tuple[GlobalId, EventStream]:
    """The scope a subscription watches and the events it listens to, once its arguments and
    the connection's limits are checked (a GraphQL error otherwise)."""
    context = info.context
    if after_sequence is not None and after_sequence < 0:
        raise GraphQLError(
            "afterSequence must be 0 or more: the sequence of the last event seen",
            extensions={"code": "INVALID_VALUE"},
        )
    decoded = parse_global_id(scope_id)
    if decoded is None or decoded.type_name not in SCOPES:
        raise GraphQLError(
            "scopeId must be the id of a key result, objective, cycle, department or organization",
            extensions={"code": "INVALID_ID"},
        )
    gid = context.home(decoded)
    if await load_global(info, gid) is None:
        raise GraphQLError("no such scope", extensions={"code": "NOT_FOUND"})
    if context.events is None:
        raise GraphQLError("events are not available", extensions={"code": "UNAVAILABLE"})
    if context.subscriptions >= MAX_PER_CONNECTION:
        raise GraphQLError(
            f"at most {MAX_PER_CONNECTION} subscriptions per connection",
            extensions={"code": "TOO_MANY_SUBSCRIPTIONS"},
        )
    return gid, context.events


@strawberry.type(description="Everything that can be watched.")
class Subscription:
    @strawberry.subscription(
        description="Progress of a key result, objective, cycle, department or organization, "
        "each time a stored change moves anything inside it (a check-in above all)."
    )
    async def progress_changed(
        self,
        info: Info,
        scope_id: Annotated[
            strawberry.ID, strawberry.argument(description="The id of the scope to watch.")
        ],
        after_sequence: Annotated[
            int | None,
            strawberry.argument(
                description="Resume after this change: every change since that moved the scope "
                "is sent first, in order, then live ones. The log keeps at least 7 days or "
                "100,000 changes; an older position is refused (RESUME_TOO_OLD: query the "
                "current state, then subscribe without it)."
            ),
        ] = None,
    ) -> AsyncGenerator[ProgressEvent, None]:
        context = info.context
        gid, stream = await _watched(info, scope_id, after_sequence)
        relay = RELAY.get()
        with _counted(context):
            # A resumed subscription replays its own history: it renders for itself alone.
            if relay is None or after_sequence is not None:
                source: AbstractAsyncContextManager[AsyncIterator[Event]] = stream.subscribe(
                    gid.org_id, after=after_sequence, scope=gid.local_id
                )
            else:
                source = relay.subscribe(gid.org_id, gid.local_id)
            async with source as events:
                with _listening(events, context):
                    async for event in events:
                        for change in event.changes_of(gid.local_id)[:1]:
                            made = _shared(
                                change,
                                gid.org_id,
                                scope_id,
                                event.sequence,
                                event.at,
                                event.cause_check_in_id,
                            )
                            if made is not None:
                                context.refresh()  # the event's numbers are new: so is the rest
                                if context.metrics is not None:
                                    context.metrics.delivered.inc()
                                yield made

    @strawberry.subscription(
        description="Key results inside a scope (a key result, objective, cycle, department or "
        "organization) as each becomes due a check-in: one event per key result and instant it "
        "became due, written once by the reminder scheduler (see "
        "`Organization.checkInsDue`)."
    )
    async def check_in_due(
        self,
        info: Info,
        scope_id: Annotated[
            strawberry.ID, strawberry.argument(description="The id of the scope to watch.")
        ],
        after_sequence: Annotated[
            int | None,
            strawberry.argument(
                description="Resume after this change: the notices written since are sent "
                "first, in order, then live ones (RESUME_TOO_OLD past what the log keeps)."
            ),
        ] = None,
    ) -> AsyncGenerator[CheckInDueEvent, None]:
        context = info.context
        gid, stream = await _watched(info, scope_id, after_sequence)
        with _counted(context):
            async with stream.subscribe(gid.org_id, after=after_sequence) as events:
                with _listening(events, context):
                    async for event in events:
                        for notice in event.due:
                            if notice.within(gid.local_id):
                                yield CheckInDueEvent.of(event, notice, scope_id)
