"""The rules a GraphQL-over-HTTP request is answered by, apart from executing it: which
content type a client accepts, what counts as a request error, which requests may be answered
by reuse or are the GraphiQL page; and `Running`, what the app's lifespan opened for `/graphql`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from starlette.requests import Request
from strawberry.types import ExecutionResult

from service.domain.errors import StoreUnavailable
from service.events import EventStream, NoticeBus
from service.observability import Metrics
from service.okrs.commit import Writer
from service.outbound.workers import Outbound
from service.readiness import StorePreparation
from service.readmodel import ReadModel
from service.reuse import (
    ResponseReuse,
)
from service.store.interface import Store

GRAPHQL_RESPONSE = "application/graphql-response+json"


@dataclass
class Running:
    """What the lifespan opened, for the routes to use while the app runs."""

    store: Store | None = None
    bus: NoticeBus | None = None
    reads: ReadModel | None = None
    writer: Writer | None = None
    events: EventStream | None = None
    outbound: Outbound | None = None
    metrics: Metrics = field(default_factory=Metrics)
    preparation: StorePreparation | None = None
    hosts: list[str] = field(default_factory=list)
    reuse: ResponseReuse | None = None

    def require(self) -> tuple[Store, ReadModel, Writer]:
        if self.store is None or self.reads is None or self.writer is None:
            raise RuntimeError("the app is not running: its lifespan has not started")
        return self.store, self.reads, self.writer

    def require_prepared(self) -> None:
        """StoreUnavailable while a store that did not answer at start has not been prepared
        yet (service/readiness.py): nothing may write before its unique indexes exist."""
        if self.preparation is not None and not self.preparation.ready:
            raise StoreUnavailable("the store is not prepared yet")


def accepts_graphql_response(accept: str) -> bool:
    """Whether an Accept header asks for `application/graphql-response+json` (q above 0)."""
    for item in accept.split(","):
        media_type, *params = (part.strip() for part in item.split(";"))
        if media_type.lower() != GRAPHQL_RESPONSE:
            continue
        quality = next((p[2:] for p in params if p.lower().startswith("q=")), "1")
        with contextlib.suppress(ValueError):
            return float(quality) > 0
    return False


def is_request_error(result: ExecutionResult) -> bool:
    """A request that never reached execution: a document that does not parse or validate, or
    variables that do not coerce. Such errors carry no path; a field's error always has one.
    (A fault before execution, such as a context that cannot be built, looks the same.)"""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def reusable_request(request: Request, accept: str) -> bool:
    """Whether a request may be answered by response reuse: a GET, or a POST of JSON, that
    does not ask for a stream."""
    if "text/event-stream" in accept or "multipart/mixed" in accept:
        return False
    if request.method == "GET":
        return True
    content_type = request.headers.get("content-type", "")
    return request.method == "POST" and content_type.startswith("application/json")


def wants_ide(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
        and "extensions" not in request.query_params
    )
