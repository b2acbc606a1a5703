"""`create_app(settings)`: the one place where the store, the schema and HTTP meet.

The lifespan owns the store (and with it the embedded nx-27017); `/graphql` serves GraphQL over
HTTP and WebSocket and GraphiQL for browsers, from files the service ships; `/healthz` says the
process runs, `/readyz` that it can reach its store. Metrics are not served here: `okrgraph
serve` runs `metrics_app(app.state.metrics)` on a listener of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import orjson
import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, OperationType
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from schema.api import build_schema
from schema.context import Context, build_context, signed_in_context, utc_now
from schema.ids import to_global_id
from schema.limits import Limits
from service.auth import (
    AuthError,
    ConfigurationError,
    Principal,
    TokenExpired,
    Verifier,
    bearer,
)
from service.config import Settings
from service.domain.errors import StoreUnavailable
from service.draining import Drain, DrainGate
from service.events import EventStream, NoticeBus, create_bus
from service.expiry import expiry_handlers
from service.live import Feeds, live_handlers
from service.negotiation import (
    NO_STREAM,
    SINGLE_CONNECTION,
    is_single_connection_request,
    is_subscription,
    operation_type,
    protocol_for,
)
from service.observability import Metrics, ObservedStore, RequestIds, operation_names
from service.okrs.commit import Retention, Writer
from service.okrs.demo import seed_demo
from service.outage import outage_handlers, store_unavailable
from service.outbound.workers import Outbound
from service.pages import dashboard, graphiql_headers
from service.persisted import PersistedQueries, PersistedQueryError, websocket_handlers
from service.readiness import StorePreparation
from service.readmodel import ReadModel
from service.readmodel.scopes import whole_second
from service.request_json import decode_request_json
from service.reuse import (
    Answer,
    ResponseReuse,
    key_of,
    matches,
    positions_of,
    reading,
    request_fields,
)
from service.scheduler import ReminderScheduler
from service.store.embedded import open_store, uri_hosts
from service.store.interface import Store
from service.store.mongo import MongoStore

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
GRAPHIQL_PAGE = HERE / "graphiql.html"
OPERATIONS_DIR = HERE.parent / "schema" / "operations"

MAX_BODY_BYTES = 1 << 20
READY_TIMEOUT = 1.5  # seconds; a readiness probe must answer before the prober gives up
GRAPHQL_RESPONSE = "application/graphql-response+json"
AUTH_OFF_HEADER = "X-Okrgraph-Auth"


@dataclass
class _Running:
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


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with the store's context, GraphiQL from local files, and the
    GraphQL-over-HTTP rules for clients that accept `application/graphql-response+json`: that
    content type, and status 400 without `data` for a request that could not be executed."""

    def __init__(
        self,
        schema: strawberry.Schema,
        running: _Running,
        clock: Callable[[], datetime],
        verifier: Verifier | None = None,
        allowed_origins: Sequence[str] = (),
        persisted: PersistedQueries | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,  # Apollo Client's HttpLink
            ),
            keep_alive=True,
            keep_alive_interval=15,
            allowed_origins=allowed_origins,
        )
        self._running = running
        self._clock = clock
        self._verifier = verifier
        self._page = GRAPHIQL_PAGE.read_text(encoding="utf-8")
        self._persisted = persisted or PersistedQueries()
        transport_ws: type[BaseGraphQLTransportWSHandler[Any, Any]] = BaseGraphQLTransportWSHandler
        legacy_ws: type[BaseGraphQLWSHandler[Any, Any]] = BaseGraphQLWSHandler
        if self._persisted.trusted is not None:
            # Subscriptions too: only registered documents run over the WebSocket.
            transport_ws, legacy_ws = websocket_handlers(self._persisted)
        # Over WebSockets, identical subscriptions share one rendering of each event.
        self.feeds = Feeds(schema, self.encode_json_string)
        self.graphql_transport_ws_handler_class, self.graphql_ws_handler_class = live_handlers(
            self.feeds, *expiry_handlers(*outage_handlers(transport_ws, legacy_ws))
        )

    def encode_json(self, data: object) -> str:
        """JSON as Strawberry writes it (no spaces), by orjson: a dashboard's 60 KB in a tenth
        of the time. Text, not bytes, so WebSocket frames stay text frames. What orjson refuses
        (an integer past 64 bits) is written by the standard library instead."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # As Strawberry's, plus the Allow header that HTTP requires of a 405.
        request = Request(scope, receive=receive)
        if is_single_connection_request(request.method, request.headers):
            self._running.metrics.errors.labels("BAD_REQUEST").inc()
            await single_connection_refused()(scope, receive, send)
            return
        refused = self._authenticate(request)
        if refused is not None:
            await refused(scope, receive, send)
            return
        try:
            if not _wants_ide(request):
                self._running.require_prepared()
            response = await self._answer(request)
        except StoreUnavailable:
            # Signing in reads the organization before GraphQL runs.
            response = store_unavailable()
        except HTTPException as exc:
            headers = {}
            if exc.status_code == 405:
                headers["Allow"] = "POST" if request.method == "GET" else "GET, POST"
            response = PlainTextResponse(exc.reason, status_code=exc.status_code, headers=headers)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        """The request's response: an identical query's answer when it is still the log's
        (service/reuse.py), else computed (and kept when it can be reused)."""
        reuse = self._running.reuse
        accept = request.headers.get("accept", "")
        if reuse is None or _wants_ide(request) or not _reusable_request(request, accept):
            return await self.run(request)
        try:
            body = decode_request_json(await request.body()) if request.method == "POST" else None
        except json.JSONDecodeError:
            return await self.run(request)  # refused as Strawberry refuses it
        fields = request_fields(request.method, request.query_params, body)
        if not self._is_query(fields):
            return await self.run(request)  # a mutation computes at its own instant
        principal = getattr(request.state, "principal", None)
        caller = (
            (principal.organization, principal.role.value, principal.subject)
            if isinstance(principal, Principal)
            else None
        )
        instant = whole_second(self._clock())
        key = key_of(fields, caller=caller, instant=instant, form=accepts_graphql_response(accept))
        if key is None:
            return await self.run(request)
        request.state.instant = instant  # the context computes at the key's instant

        async def compute() -> tuple[Response, Answer | None]:
            response = await self.run(request)
            found, context = reading(), getattr(request.state, "context", None)
            body = getattr(response, "body", None)
            if (
                found is None
                or not found.reusable()
                or not isinstance(context, Context)
                or response.status_code != 200
                or not isinstance(body, bytes)
            ):
                return response, None
            media_type = response.headers.get("content-type", "application/json")
            return response, Answer(body, media_type, positions_of(context.loaders.snapshots))

        answer, computed = await reuse.answer(key, compute)
        if answer is None:
            return cast(Response, computed)
        if request.method == "GET" and matches(request.headers.get("if-none-match"), answer.etag):
            return Response(status_code=304, headers={"etag": answer.etag})
        response = computed if computed is not None else Response(answer.body)
        if computed is None:
            response.headers["content-type"] = answer.media_type
        response.headers["etag"] = answer.etag
        return cast(Response, response)

    def _is_query(self, fields: dict[str, Any]) -> bool:
        """Whether a request's fields run a query (its document given, or persisted)."""
        document = fields.get("query")
        extensions = fields.get("extensions")
        if document is None and isinstance(extensions, dict):
            try:
                document = self._persisted.resolve(None, extensions)
            except PersistedQueryError:
                return False  # refused as the rules refuse it
        name = fields.get("operationName")
        if not isinstance(document, str) or not isinstance(name, str | None):
            return False
        return operation_type(document, name) is OperationType.QUERY

    def _authenticate(self, request: Request) -> Response | None:
        """With authentication on, a request needs a valid bearer token (the GraphiQL page
        itself holds no data and is served to anyone); the principal goes on the request."""
        if self._verifier is None or _wants_ide(request):
            return None
        try:
            token = bearer(request.headers.get("authorization"))
            if token is None:
                raise AuthError("this API needs `Authorization: Bearer <token>`")
            request.state.principal = self._verifier.verify(token)
        except AuthError as error:
            return unauthenticated(str(error))
        return None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        store, reads, writer = self._running.require()
        principal = getattr(request.state, "principal", None)
        running = self._running
        # A request that may be reused computes at its key's instant (`_answer`).
        instant = getattr(request.state, "instant", None)
        clock = self._clock if instant is None else lambda: instant
        if isinstance(principal, Principal):
            context = await signed_in_context(
                store,
                principal,
                reads=reads,
                writer=writer,
                clock=clock,
                events=running.events,
            )
        else:
            context = build_context(
                store,
                reads=reads,
                writer=writer,
                clock=clock,
                authenticated=self._verifier is not None,
                events=running.events,
            )
        context.metrics = running.metrics
        context.outbound = running.outbound
        if isinstance(request, Request):
            request.state.context = context
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A WebSocket authenticates in connection_init's payload (`Authorization: Bearer …`);
        a missing or bad token closes the connection with 4403."""
        accepted: UnsetType = UNSET
        self._running.require_prepared()  # refused with its code: see below
        if self._verifier is None:
            return accepted
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        try:
            token = bearer(header if isinstance(header, str) else None)
            if token is None:
                raise AuthError('connection_init needs {"Authorization": "Bearer <token>"}')
            await context.sign_in(self._verifier.verify(token))
        except TokenExpired:
            raise  # closed with 4401, so that the client fetches a new token (service/expiry.py)
        except AuthError as error:
            raise ConnectionRejectionError(
                {"message": str(error), "code": "UNAUTHENTICATED"}
            ) from error
        # StoreUnavailable goes through: the handlers refuse it with its code (service/outage.py).
        return accepted

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        try:
            data = await super().parse_http_body(request)
        except AttributeError as error:
            # Strawberry calls `.get` on the decoded body: `null`, `1` or `"…"` would be a 500.
            raise HTTPException(400, "the request body must be a JSON object") from error
        # Strawberry streams whenever the Accept header lists a stream anywhere; a query is
        # answered as JSON unless the client prefers the stream (service/negotiation.py).
        if isinstance(data, GraphQLRequestData) and data.protocol != "http":
            chosen = protocol_for(
                request.headers.get("accept", ""),
                data.protocol,
                subscription=is_subscription(data.query, data.operation_name),
            )
            if chosen != data.protocol:
                data = replace(data, protocol=cast(GraphQLRequestProtocol, chosen))
        return data

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET with a persisted query's hash (and no query) asks to run it, not for GraphiQL.
        return (
            super().should_render_graphql_ide(request) and "extensions" not in request.query_params
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        # Persisted queries (service/persisted.py): a hash becomes its document, and with
        # trusted documents anything unregistered is refused, before the document is parsed.
        try:
            request_data = self._persisted.apply(request_data)
        except PersistedQueryError as refused:
            self._running.metrics.errors.labels(refused.code.value).inc()
            return ExecutionResult(data=None, errors=[refused.as_graphql_error()])
        if (
            isinstance(request_data, GraphQLRequestData)
            and request_data.protocol == "http"
            and is_subscription(request_data.query, request_data.operation_name)
        ):
            # Answered as JSON, a subscription could say nothing but "internal error".
            sub_response.status_code = 406
            self._running.metrics.errors.labels("BAD_REQUEST").inc()
            error = GraphQLError(NO_STREAM, extensions={"code": "BAD_REQUEST"})
            return ExecutionResult(data=None, errors=[error])
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    def decode_json(self, data: str | bytes) -> object:
        # Strawberry turns only JSONDecodeError into a 400; hostile JSON raises other errors.
        return decode_request_json(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._page, headers=graphiql_headers(self._page))

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        if accepts_graphql_response(request.headers.get("accept", "")):
            # The negotiated content type travels with the response until create_response.
            sub_response.media_type = GRAPHQL_RESPONSE
        return sub_response

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            # GraphQL over HTTP: a mutation sent by GET is refused with 405 Method Not Allowed.
            if request_adapter.method == "GET" and isinstance(
                exc.__cause__, InvalidOperationTypeError
            ):
                raise HTTPException(405, exc.reason) from exc.__cause__
            raise
        if sub_response.media_type == GRAPHQL_RESPONSE and is_request_error(result):
            sub_response.status_code = 400
        found = reading()
        if (
            found is not None
            and isinstance(result, ExecutionResult)
            and not result.errors
            and operation_type(request_data.query, request_data.operation_name)
            is OperationType.QUERY
        ):
            found.whole = True  # a query's whole answer: it may be reused (service/reuse.py)
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if accepts_graphql_response(request.headers.get("accept", "")) and is_request_error(result):
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type:
            response.headers["content-type"] = sub_response.media_type
        return response


NOT_STORED = "private, no-store"
"""The Cache-Control of every /graphql answer: it depends on the caller's token (its
organization and role), so no cache, shared or the browser's, may keep it or serve it to
another caller."""


def private(send: Send) -> Send:
    """`send` with every response marked NOT_STORED and varying by Authorization (a stream of
    server-sent events also asks proxies not to transform it)."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            streamed = headers.get("content-type", "").startswith("text/event-stream")
            headers["cache-control"] = NOT_STORED + (", no-transform" if streamed else "")
            headers.add_vary_header("Authorization")
        await send(message)

    return marked


def _reusable_request(request: Request, accept: str) -> bool:
    """Whether a request may be answered by response reuse: a GET, or a POST of JSON, that
    does not ask for a stream."""
    if "text/event-stream" in accept or "multipart/mixed" in accept:
        return False
    if request.method == "GET":
        return True
    content_type = request.headers.get("content-type", "")
    return request.method == "POST" and content_type.startswith("application/json")


def _wants_ide(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
        and "extensions" not in request.query_params
    )


def unauthenticated(message: str) -> Response:
    """401 with a GraphQL-shaped body and the challenge HTTP asks for."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="okrgraph"'},
    )


def single_connection_refused() -> Response:
    """405 for graphql-sse's single connection mode, with a body naming the mode served."""
    return JSONResponse(
        {"errors": [{"message": SINGLE_CONNECTION, "extensions": {"code": "BAD_REQUEST"}}]},
        status_code=405,
        headers={"Allow": "GET, POST"},
    )


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _readyz(running: _Running) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(request: Request) -> Response:
        store = running.store
        try:
            if store is None:
                raise StoreUnavailable("the app is not running")
            await asyncio.wait_for(store.ping(), timeout=READY_TIMEOUT)
        except (StoreUnavailable, TimeoutError):
            return JSONResponse(
                {"status": "unavailable", "store": "unreachable", "hosts": running.hosts},
                status_code=503,
            )
        if running.preparation is not None and not running.preparation.ready:
            # It answers again, and its indexes are being made: not yet.
            return JSONResponse(
                {"status": "unavailable", "store": "preparing", "hosts": running.hosts},
                status_code=503,
            )
        # Without the bus, queries and mutations still work: the instance stays in rotation,
        # and says that live updates are degraded (they follow the log by polling meanwhile).
        bus = running.bus.health() if running.bus else None
        if bus is not None and not bus.ok:
            return JSONResponse(
                {"status": "degraded", "store": "ok", "bus": bus.status, "reason": bus.reason}
            )
        return JSONResponse({"status": "ready", "store": "ok", "bus": "ok"})

    return readyz


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    schema: strawberry.Schema | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The ASGI application. Its lifespan opens the store the settings name, unless `store` is
    given (then the caller owns it), creates the indexes and, with `settings.demo`, seeds the
    demo organization into an empty store, as soon as the store answers (at once, or in the
    background while `/readyz` says 503). `app.state` holds the metrics (for the metrics
    listener) and the drain (for a stop). `schema` defaults to the service's schema; `clock`
    to the real UTC clock."""
    now = clock or utc_now
    persisted = PersistedQueries.configure(settings.trusted_documents)
    running = _Running(metrics=Metrics(known_operations(persisted)))
    running.hosts = store_hosts(settings) if store is None else []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as owned:
            opened = store
            if opened is None:
                opened = await owned.enter_async_context(
                    open_store(
                        mongodb_uri=settings.mongodb_uri,
                        data_dir=None if settings.memory else settings.data_dir,
                        database=settings.database,
                        selection_timeout=settings.mongodb_selection_timeout,
                    )
                )
            if isinstance(opened, MongoStore):
                opened.on_round_trip = running.metrics.round_trip
            # Every store call named for the metrics and traced (spans when tracing is on).
            observed = cast(Store, ObservedStore(opened))
            bus = create_bus(settings.redis_url)
            await bus.start()
            owned.push_async_callback(bus.close)
            reads = ReadModel(
                observed,
                capacity=settings.read_model_capacity,
                check_in_capacity=settings.read_model_check_ins,
            )
            retention = Retention(
                days=settings.log_retention_days, changes=settings.log_retention_changes
            )
            outbound = Outbound.configure(settings, observed, reads, naming=to_global_id)
            writer = Writer(
                observed, reads, notify=outbound.also(bus.announce), retention=retention
            )

            async def prepare() -> None:
                await opened.ensure_indexes()
                if settings.demo:
                    instant = now().astimezone(UTC)
                    today = instant.date()
                    seeded = await seed_demo(writer=writer, today=today, now=instant)
                    if seeded.organization is not None:
                        logger.info("seeded the demo organization for %s", today.isoformat())

            # A store that does not answer yet is prepared once it does (service/readiness.py).
            preparation = StorePreparation(prepare, running.hosts or ["the given store"])
            await preparation.start()
            owned.push_async_callback(preparation.close)
            running.preparation = preparation
            events = EventStream(reads, observed, bus)
            await events.start()
            owned.push_async_callback(events.close)
            # At SIGTERM, open event streams (SSE, multipart, WebSocket subscriptions) end with
            # their `complete` at once, rather than hold the stop and then be cut off.
            drain.at_start.append(events.end_subscriptions)
            owned.callback(drain.at_start.remove, events.end_subscriptions)
            bus.listen(outbound.noticed)
            await outbound.start()
            owned.push_async_callback(outbound.close)
            scheduler = ReminderScheduler(
                observed,
                reads,
                writer,
                interval=settings.reminder_interval,
                window=timedelta(days=settings.log_retention_days),
                clock=now,
            )
            await scheduler.start()
            owned.push_async_callback(scheduler.close)
            running.outbound = outbound
            running.reuse = app.state.reuse = (
                ResponseReuse(reads, counted=running.metrics.count_reuse)
                if settings.response_reuse
                else None
            )
            running.store, running.bus, running.reads, running.writer, running.events = (
                observed,
                bus,
                reads,
                writer,
                events,
            )
            try:
                yield
            finally:
                running.store, running.bus, running.reads, running.writer = None, None, None, None
                running.events, running.outbound, running.reuse = None, None, None

    verifier = _verifier(settings)
    chosen = (
        schema
        if schema is not None
        else build_schema(
            limits_of(settings),
            federation=settings.federation,
            router=settings.federation_router,
        )
    )
    graphql = GraphQLApp(chosen, running, now, verifier, settings.cors_origins, persisted)
    drain = Drain()
    middleware = [
        Middleware(NotStored),
        Middleware(DrainGate, drain=drain),
        # Here rather than Starlette's own `max_body_size` (outside every middleware), so that
        # a 413 is marked as every other answer.
        Middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY_BYTES),
        Middleware(RequestIds),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            max_age=600,
        ),
    ]
    if verifier is None:
        middleware.append(Middleware(AuthOffHeader))
    app = Starlette(
        routes=[
            Route("/", dashboard),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", _healthz),
            Route("/readyz", _readyz(running)),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        lifespan=lifespan,
        middleware=middleware,
    )
    app.state.metrics = running.metrics
    app.state.drain = drain
    return app


def known_operations(persisted: PersistedQueries) -> set[str]:
    """The operation names metrics label by name: the kit's shipped operations and, with
    trusted documents, theirs."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(OPERATIONS_DIR.glob("*.graphql"))]
    if persisted.trusted is not None:
        texts.extend(persisted.trusted.documents.values())
    return operation_names(*texts)


def store_hosts(settings: Settings) -> list[str]:
    """The hosts the service's store is reached at, for messages (never credentials)."""
    if settings.mongodb_uri:
        return uri_hosts(settings.mongodb_uri)
    return ["the embedded store"]


def limits_of(settings: Settings) -> Limits:
    """The request limits the settings ask for."""
    return Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
        introspection=settings.introspection_allowed,
        timeout=settings.request_timeout,
    )


def _verifier(settings: Settings) -> Verifier | None:
    """The token verifier; ConfigurationError when authentication is on without a key."""
    if not settings.auth_enabled:
        logger.warning(
            "authentication is OFF (OKRGRAPH_AUTH=disabled): anyone who can reach this port "
            "can read and change every organization"
        )
        return None
    verifier = Verifier.configure(
        secret=settings.jwt_secret,
        public_key=settings.jwt_public_key,
        jwks_file=settings.jwt_jwks_file,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    if verifier is None:
        raise ConfigurationError(
            "authentication is on but no key is configured: set OKRGRAPH_JWT_SECRET, "
            "OKRGRAPH_JWT_PUBLIC_KEY or OKRGRAPH_JWT_JWKS_FILE (or, for development on this "
            "machine, OKRGRAPH_AUTH=disabled)"
        )
    return verifier


class NotStored:
    """Marks every HTTP answer of /graphql NOT_STORED (`private`), whichever layer makes it: the
    API, a refusal of the token, or the body limit's 413. A 404 anywhere (such as /metrics, which
    is served on its own listener only) is marked too: nothing there is for a cache to keep."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            send = private(send)
        elif scope["type"] == "http":
            send = _private_when_not_found(send)
        await self.app(scope, receive, send)


def _private_when_not_found(send: Send) -> Send:
    marked = private(send)

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 404:
            # The body that follows goes the same way: private only alters the start.
            await marked(message)
        else:
            await send(message)

    return sending


class AuthOffHeader:
    """Marks every HTTP response while authentication is off, so nobody mistakes it for safe."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(AUTH_OFF_HEADER, "disabled")
            await send(message)

        await self.app(scope, receive, marked)
