"""Which answer a request over HTTP gets, from its `Accept` header and its operation.

Clients list several media types: urql's default is `application/graphql-response+json,
application/graphql+json, application/json, text/event-stream, multipart/mixed` for every
request. A query or mutation is answered as JSON unless the client prefers an event stream (a
higher q-value, or an equal one listed first); a subscription is streamed (Server-Sent Events or
Apollo's multipart protocol) whenever the client accepts a stream at all, and refused with a
coded error naming the transports that carry subscriptions when it accepts only JSON.

graphql-sse has two modes. Its default, "distinct connections", sends each subscription as its
own POST accepting `text/event-stream`: that is the one served. Its "single connection" mode
first reserves a stream with a PUT and then names it in the `X-GraphQL-Event-Stream-Token`
header; such requests are refused with 405 and a coded error naming the mode to use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

JSON_TYPES = frozenset(
    {
        "application/graphql-response+json",
        "application/graphql+json",
        "application/json",
        "application/*",
        "*/*",
    }
)
STREAM_TYPES = {"sse": "text/event-stream", "multipart-subscription": "multipart/mixed"}

STREAM_TOKEN_HEADER = "x-graphql-event-stream-token"
SINGLE_CONNECTION = (
    "graphql-sse's single connection mode (a PUT that reserves an event stream, then requests "
    "naming it in X-GraphQL-Event-Stream-Token) is not supported: use its distinct connections "
    "mode, the default (`singleConnection: false`), where each subscription is a POST accepting "
    "text/event-stream"
)


def is_single_connection_request(method: str, headers: Mapping[str, str]) -> bool:
    """Whether a request belongs to graphql-sse's single connection mode: the PUT reserving a
    stream, or a request naming a reserved stream."""
    return method == "PUT" or STREAM_TOKEN_HEADER in headers


NO_STREAM = (
    "a subscription is answered over a WebSocket (graphql-transport-ws or graphql-ws), as "
    "Server-Sent Events (Accept: text/event-stream) or as multipart HTTP (Accept: "
    'multipart/mixed;subscriptionSpec="1.0"); this request accepts none of them'
)


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One entry of an Accept header: its type, q-value and place in the list."""

    media_type: str
    q: float
    position: int

    def beats(self, other: MediaRange | None) -> bool:
        """Preferred over `other`: a higher q-value, or the same one listed earlier."""
        if other is None:
            return True
        return (self.q, -self.position) > (other.q, -other.position)


def media_ranges(accept: str) -> list[MediaRange]:
    """The entries of an Accept header (q=0 means "not acceptable" and is left out)."""
    found: list[MediaRange] = []
    for position, part in enumerate(accept.split(",")):
        media_type, *params = (piece.strip() for piece in part.split(";"))
        if not media_type:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if q > 0:
            found.append(MediaRange(media_type.lower(), q, position))
    return found


def _best(ranges: list[MediaRange], types: frozenset[str] | set[str]) -> MediaRange | None:
    best: MediaRange | None = None
    for entry in ranges:
        if entry.media_type in types and entry.beats(best):
            best = entry
    return best


def stream_preferred(accept: str, protocol: str) -> bool:
    """Whether the client prefers the stream of `protocol` ("sse" or "multipart-subscription")
    to a JSON answer."""
    ranges = media_ranges(accept)
    stream = _best(ranges, {STREAM_TYPES[protocol]})
    return stream is not None and stream.beats(_best(ranges, JSON_TYPES))


def protocol_for(accept: str, protocol: str, *, subscription: bool) -> str:
    """The protocol to answer with, where Strawberry chose `protocol` because the Accept
    header lists its stream somewhere: "http" (JSON) for a query or mutation unless the
    client prefers the stream. Apollo's multipart protocol carries subscriptions only."""
    if protocol == "http" or subscription:
        return protocol
    if protocol == "sse" and stream_preferred(accept, protocol):
        return protocol
    return "http"


@lru_cache(maxsize=512)
def _operations(query: str) -> dict[str | None, OperationType] | None:
    try:
        document = parse(query, no_location=True, max_tokens=10_000)
    except GraphQLError:
        return None  # validation reports it, whichever way the answer goes
    found: dict[str | None, OperationType] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else None
            found[name] = definition.operation
    return found


def operation_type(query: str | None, operation_name: str | None) -> OperationType | None:
    """The type of the operation a request runs (None when that cannot be told: no document,
    a document that does not parse, or an operation it does not hold)."""
    if not isinstance(query, str) or not isinstance(operation_name, (str, type(None))):
        return None  # a malformed request, refused as such later
    operations = _operations(query) if query else None
    if not operations:
        return None
    if operation_name is None and len(operations) == 1:
        (operation,) = operations.values()
        return operation
    return operations.get(operation_name)


def is_subscription(query: str | None, operation_name: str | None) -> bool:
    """Whether the operation a request runs is a subscription (False when that cannot be
    told)."""
    return operation_type(query, operation_name) is OperationType.SUBSCRIPTION
